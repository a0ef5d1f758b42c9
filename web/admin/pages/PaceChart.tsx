import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { currencyDecimals } from '../../../common/money.js';
import type { PaceReport } from '../../../common/api.js';
import { money, moneyShort } from '../ui.js';

/**
 * The Pace chart: this campaign's cumulative money beside the reference shape (the last
 * campaign's, or the default curve) scaled to the current goal, both on the share of the
 * duration elapsed, so "ahead" and "behind" read at a glance. Loaded with import() (Pace.tsx).
 */
export default function PaceChart({ pace }: { pace: PaceReport }) {
  const dec = currencyDecimals(pace.currency);
  const major = (minor: number) => minor / 10 ** dec;
  const pct = (ppm: number) => ppm / 10_000;
  const current = [{ x: 0, y: 0 }, ...pace.curves.current.map((p) => ({ x: pct(p.at), y: major(p.cumulative) }))];
  const knots = pace.curves.reference ? [{ at: 0, share: 0 }, ...pace.curves.reference] : pace.shape;
  const reference = knots.map((k) => ({ x: pct(k.at), y: major(Math.floor((pace.goal * k.share) / 1_000_000)) }));
  const label = pace.method.kind === 'previous' ? `${pace.method.title}'s shape, to the goal` : 'Default curve, to the goal';
  return (
    <ResponsiveContainer width="100%" height={260}>
      <LineChart margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="x" type="number" domain={[0, 100]} tick={{ fontSize: 12 }} unit="%" />
        <YAxis tick={{ fontSize: 12 }} width={64} tickFormatter={(v: number) => moneyShort(Math.round(v * 10 ** dec), pace.currency)} />
        <Tooltip
          formatter={(v) => money(Math.round(Number(v) * 10 ** dec), pace.currency)}
          labelFormatter={(l) => `${Number(l).toFixed(0)}% of the time`}
        />
        <Legend />
        <Line data={reference} dataKey="y" name={label} stroke="#9ca3af" strokeDasharray="4 3" dot={false} isAnimationActive={false} />
        <Line data={current} dataKey="y" name="This campaign" stroke="#2563eb" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
