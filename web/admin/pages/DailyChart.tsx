import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { money, moneyShort } from '../ui.js';

// The Pace chart rides in this chunk: one lazily loaded chunk carries recharts for both charts
// (tests/unit/web/admin-size.test.ts), rather than a third shared chunk.
export { default as PaceChart } from './PaceChart.js';

/**
 * The dashboard's "money in per day" chart. recharts is most of the console's JavaScript: this
 * module is loaded with import() when a dashboard first shows a chart (Dashboard.tsx), so the
 * console's first load does not carry it.
 */
export default function DailyChart({
  data,
  currency,
  decimals,
}: {
  data: { date: string; amount: number; donations: number }[];
  currency: string;
  decimals: number;
}) {
  return (
    <ResponsiveContainer width="100%" height={260}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="date" tick={{ fontSize: 12 }} minTickGap={16} />
        <YAxis tick={{ fontSize: 12 }} width={64} tickFormatter={(v: number) => moneyShort(Math.round(v * 10 ** decimals), currency)} />
        <Tooltip
          formatter={(v) => [money(Math.round(Number(v) * 10 ** decimals), currency), 'Money in']}
          labelFormatter={(l) => String(l)}
        />
        <Bar dataKey="amount" fill="#2563eb" radius={[3, 3, 0, 0]} isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
