import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

/** The funnel per day (Variants.tsx): loaded with import() like the money chart. */
export default function FunnelChart({
  data,
}: {
  data: { day: string; impressions: number; opens: number; checkouts: number; paid: number }[];
}) {
  const rows = data.map((d) => ({ ...d, date: d.day.slice(5) }));
  return (
    <ResponsiveContainer width="100%" height={260}>
      <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="date" tick={{ fontSize: 12 }} minTickGap={16} />
        <YAxis tick={{ fontSize: 12 }} width={48} allowDecimals={false} />
        <Tooltip />
        <Legend />
        <Bar dataKey="impressions" name="Impressions" fill="#93c5fd" isAnimationActive={false} />
        <Bar dataKey="opens" name="Opens" fill="#3b82f6" isAnimationActive={false} />
        <Bar dataKey="checkouts" name="Checkouts" fill="#1d4ed8" isAnimationActive={false} />
        <Bar dataKey="paid" name="Paid" fill="#0b6e4f" isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
