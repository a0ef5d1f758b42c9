import { type Kysely, sql } from 'kysely';

/**
 * The per-campaign rollup of payments in 15-minute slots of UTC (issue 12 item 5): the admin
 * dashboard's daily chart and the pace report read a campaign's slots (a few thousand rows at
 * most per campaign-month) instead of every payment, so their cost does not grow with the number
 * of gifts. Every zone's offset today is a whole number of quarter hours, so a slot names one day
 * in any zone.
 *
 * campaign_slots holds, per (campaign, slot of paid_at), what the payments counted for that
 * campaign add up to: not voided and in the window (the filter the dashboard always used);
 * raised = sum(applied_raised), gross = sum(amount), donations = sum(applied_donation),
 * payments = how many such payments (a row exists exactly while that count is positive).
 *
 * Kept exact by the database itself, in the transaction of every write to payments, whoever
 * writes (the ledger's paths, a backfill, a script): statement-level triggers on payments turn
 * each statement's transition tables into per-slot differences and append them to
 * campaign_slot_changes (plain inserts of this transaction's own rows: they wait on nobody). A
 * deferred constraint trigger folds this transaction's differences into campaign_slots at
 * COMMIT, in one statement, in (campaign_id, slot) order.
 *
 * Why at commit and sorted: slot rows are hot (every gift of the moment adds to the same one), so
 * upserting them mid-transaction would hold their locks for the rest of the transaction and, with
 * two transactions touching two slots in opposite orders (a new payment now, a refund of an older
 * one), deadlock. The fold runs after the transaction's last statement (so after TotalsBatch.apply
 * has taken its totals rows), and only the fold ever locks slot rows (besides this backfill, an
 * import and a TRUNCATE, which run alone): a folding transaction waits only on other folding
 * transactions, and all of them take slot rows in the same global order, so no cycle can form.
 * (Two transactions that both move campaign A's money already queue on A's totals row before
 * folding: the fold adds its few rows to that row's hold time, no new wait.) There is deliberately no foreign key to campaigns: its check would take a key
 * share lock on the campaign row at commit, and campaign edits lock that row FOR UPDATE.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaign_slots')
    .addColumn('campaign_id', 'integer', (c) => c.notNull())
    .addColumn('slot', 'timestamptz', (c) => c.notNull())
    .addColumn('raised', 'bigint', (c) => c.notNull())
    .addColumn('gross', 'bigint', (c) => c.notNull())
    .addColumn('donations', 'bigint', (c) => c.notNull())
    .addColumn('payments', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_slots_pkey', ['campaign_id', 'slot'])
    .execute();
  // Differences not yet folded: only ever rows of transactions still running (the fold deletes
  // its own at commit; a rolled-back transaction's rows were never committed). Unlogged: nothing
  // in it outlives its transaction, so a crash loses nothing.
  await sql`create unlogged table campaign_slot_changes (
      xid xid8 not null,
      campaign_id integer not null,
      slot timestamptz not null,
      raised bigint not null,
      gross bigint not null,
      donations bigint not null,
      payments bigint not null
    )`.execute(db);
  await sql`create index campaign_slot_changes_xid on campaign_slot_changes (xid)`.execute(db);

  // One function for the three statement triggers: the rows a statement removed count negative,
  // the rows it wrote positive (an UPDATE has both), summed per slot; slots whose sums are all 0
  // (a donor key changed, a refund fact recorded on an uncounted payment) add no row.
  await sql`create function campaign_slots_note() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into campaign_slot_changes (xid, campaign_id, slot, raised, gross, donations, payments)
        select pg_current_xact_id(), campaign_id, date_bin('15 minutes', paid_at, timestamptz '2000-01-01T00:00:00Z'),
          sum(applied_raised), sum(amount), sum(applied_donation), count(*)
        from new_rows where in_window and not voided group by 2, 3;
      elsif tg_op = 'DELETE' then
        insert into campaign_slot_changes (xid, campaign_id, slot, raised, gross, donations, payments)
        select pg_current_xact_id(), campaign_id, date_bin('15 minutes', paid_at, timestamptz '2000-01-01T00:00:00Z'),
          -sum(applied_raised), -sum(amount), -sum(applied_donation), -count(*)
        from old_rows where in_window and not voided group by 2, 3;
      else
        insert into campaign_slot_changes (xid, campaign_id, slot, raised, gross, donations, payments)
        select pg_current_xact_id(), d.campaign_id, d.slot, sum(d.raised), sum(d.gross), sum(d.donations), sum(d.payments)
        from (
          select campaign_id, date_bin('15 minutes', paid_at, timestamptz '2000-01-01T00:00:00Z') as slot,
            applied_raised as raised, amount as gross, applied_donation::bigint as donations, 1::bigint as payments
          from new_rows where in_window and not voided
          union all
          select campaign_id, date_bin('15 minutes', paid_at, timestamptz '2000-01-01T00:00:00Z'),
            -applied_raised, -amount, -applied_donation::bigint, -1::bigint
          from old_rows where in_window and not voided
        ) d
        group by d.campaign_id, d.slot
        having sum(d.raised) <> 0 or sum(d.gross) <> 0 or sum(d.donations) <> 0 or sum(d.payments) <> 0;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger payments_slots_insert after insert on payments referencing new table as new_rows
    for each statement execute function campaign_slots_note()`.execute(db);
  await sql`create trigger payments_slots_update after update on payments referencing old table as old_rows new table as new_rows
    for each statement execute function campaign_slots_note()`.execute(db);
  await sql`create trigger payments_slots_delete after delete on payments referencing old table as old_rows
    for each statement execute function campaign_slots_note()`.execute(db);

  // Emptying payments empties its rollup (no transition table for TRUNCATE).
  await sql`create function campaign_slots_clear() returns trigger language plpgsql as $$
    begin
      truncate campaign_slots;
      delete from campaign_slot_changes where xid = pg_current_xact_id();
      return null;
    end $$`.execute(db);
  await sql`create trigger payments_slots_truncate after truncate on payments
    for each statement execute function campaign_slots_clear()`.execute(db);

  // The fold, at COMMIT. A constraint trigger fires once per row noted; the first firing folds
  // every difference of the transaction (sorted), the later ones find none.
  await sql`create function campaign_slots_fold() returns trigger language plpgsql as $$
    declare
      empty_campaigns integer[];
      empty_slots timestamptz[];
    begin
      with d as (
        delete from campaign_slot_changes where xid = pg_current_xact_id()
        returning campaign_id, slot, raised, gross, donations, payments
      ),
      u as (
        insert into campaign_slots as s (campaign_id, slot, raised, gross, donations, payments)
        select campaign_id, slot, sum(raised), sum(gross), sum(donations), sum(payments)
        from d group by campaign_id, slot
        having sum(raised) <> 0 or sum(gross) <> 0 or sum(donations) <> 0 or sum(payments) <> 0
        order by campaign_id, slot
        on conflict (campaign_id, slot) do update set
          raised = s.raised + excluded.raised, gross = s.gross + excluded.gross,
          donations = s.donations + excluded.donations, payments = s.payments + excluded.payments
        returning s.campaign_id, s.slot, s.payments
      )
      select array_agg(campaign_id), array_agg(slot) into empty_campaigns, empty_slots from u where payments = 0;
      -- A slot whose last counted payment left it: no row, as if it had never held one.
      if empty_campaigns is not null then
        delete from campaign_slots s using unnest(empty_campaigns, empty_slots) as e(campaign_id, slot)
        where s.campaign_id = e.campaign_id and s.slot = e.slot and s.payments = 0;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create constraint trigger campaign_slot_changes_fold after insert on campaign_slot_changes
    deferrable initially deferred for each row execute function campaign_slots_fold()`.execute(db);

  // The dashboard's other per-campaign read, its live monthly gifts (and their donors), found
  // without walking every gift of the campaign: one-time gifts are not in this index at all.
  await sql`create index gifts_campaign_monthly on gifts (campaign_id) where frequency = 'monthly'`.execute(db);

  // Backfill from the payments already recorded (the same filter and sums).
  await sql`insert into campaign_slots (campaign_id, slot, raised, gross, donations, payments)
    select campaign_id, date_bin('15 minutes', paid_at, timestamptz '2000-01-01T00:00:00Z'),
      sum(applied_raised), sum(amount), sum(applied_donation), count(*)
    from payments where in_window and not voided group by 1, 2`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index gifts_campaign_monthly`.execute(db);
  await sql`drop trigger payments_slots_insert on payments`.execute(db);
  await sql`drop trigger payments_slots_update on payments`.execute(db);
  await sql`drop trigger payments_slots_delete on payments`.execute(db);
  await sql`drop trigger payments_slots_truncate on payments`.execute(db);
  await sql`drop table campaign_slot_changes`.execute(db);
  await sql`drop function campaign_slots_fold()`.execute(db);
  await sql`drop function campaign_slots_note()`.execute(db);
  await sql`drop function campaign_slots_clear()`.execute(db);
  await sql`drop table campaign_slots`.execute(db);
}
