/** Payments per campaign in 15-minute slots of UTC (migrations/0022_campaign_slots), kept by
 * triggers on payments: read it, never write it. */
export interface CampaignSlotsTable {
  campaign_id: number;
  slot: Date;
  raised: number;
  gross: number;
  donations: number;
  payments: number;
}

export interface SlotTables {
  campaign_slots: CampaignSlotsTable;
}
