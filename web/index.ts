/** The package entry for React sites: the banner and its parts (SPEC §6). */
export { Banner, type BannerProps } from './components/Banner.js';
export { BannerView, type BannerOptions, type Placement } from './components/BannerView.js';
export { DonateForm, type DonateFormProps } from './components/DonateForm.js';
export { GoalMeter } from './components/GoalMeter.js';
export { bannerCss, formCss } from './components/styles.js';
export type { CampaignProgress, CheckoutBody, PublicDonor } from './lib/api.js';
export { chargeWithFees, formatMoney, parseMoney } from '../common/money.js';
