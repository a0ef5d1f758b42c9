/**
 * embed-donate.js: the banner's donate dialog, loaded by embed.js when a reader first points at
 * or clicks Donate (web/embed/index.tsx, loadDonate). Built as its own IIFE whose 'react' and
 * 'react/jsx-runtime' are embed.js's Preact, handed over on window.Groundswell.runtime
 * (web/vite.embed.config.ts), so both scripts share one Preact and this one stays small.
 */
import { DonatePanel } from '../components/DonatePanel.js';

const gs = window.Groundswell;
if (gs?.runtime) gs.donatePanel = DonatePanel;
