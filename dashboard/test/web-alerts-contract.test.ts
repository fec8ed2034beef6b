import { describe, expect, it } from 'vitest';
import type { RulesView } from '../src/alerts/alert-settings.js';
import type { IncidentPage } from '../src/alerts/alert-storage.js';
import { CHANNEL_KINDS, type ChannelKind } from '../src/alerts/channels.js';
import { type Incident, RULE_WORDS } from '../src/alerts/formats.js';
import type { ChannelResult } from '../src/alerts/notifier.js';
import { RULE_NAMES, type RuleName } from '../src/alerts/rules.js';
import type { AlertsPageResponse, ChannelsResponse, ChannelTestResponse } from '../src/http/routes/alerts.js';
import { RULE_LABELS } from '../web/alert-words.js';
import * as Web from '../web/alerts-types.js';

// The page mirrors the alerts' wire shapes in dashboard/web/alerts-types.ts (it is compiled on its own, and
// cannot import the server's code), as it mirrors the contract in web/types.ts (web-contract.test.ts). These
// checks keep the mirror equal to the server: the types at compile time, the values at run time.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The server's answer fits what the page reads (the page reads rules and channels more loosely). */
type Fits<Server, Page> = [Server] extends [Page] ? true : false;

export const mirroredAlertTypesMatch: [
  Same<Web.AlertRuleName, RuleName>,
  Same<Web.Incident, Incident>,
  Same<Web.IncidentsResponse, AlertsPageResponse>,
  Same<Web.IncidentsResponse, IncidentPage & { limit: number; offset: number }>,
  Same<Web.ChannelKind, ChannelKind>,
  Same<Web.ChannelResult, ChannelResult>,
  Same<Web.ChannelTestResponse, ChannelTestResponse>,
  Fits<RulesView, Web.RulesResponse>,
  Fits<ChannelsResponse, Web.ChannelsResponse>,
] = [true, true, true, true, true, true, true, true, true];

describe("the page's copy of the alerts' shapes", () => {
  it('names the same rules and channels as the server, in the same order', () => {
    expect(Web.ALERT_RULE_NAMES).toEqual(RULE_NAMES);
    expect(Web.CHANNEL_KINDS).toEqual(CHANNEL_KINDS);
  });

  it('words each rule as the notifications do', () => {
    expect(RULE_LABELS).toEqual(RULE_WORDS);
  });
});
