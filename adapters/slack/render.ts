/**
 * Core messages → Slack Block Kit: mrkdwn sections, one actions block per button row, a plain
 * `text` fallback, within Slack's limits (split into several messages when needed).
 */
import { splitText, toMrkdwn, toPlain } from '../../src/core/format.js';
import type { Button, OutboundMessage } from '../../src/core/types.js';
import { ACTION_PREFIX } from './inbound.js';

/** Slack's limits that shape a message. */
export const SLACK_LIMITS = {
  /** Blocks per message. */
  blocks: 50,
  /** Characters of a section's text. */
  sectionText: 3000,
  /** Characters of a message's top-level `text`. */
  text: 40_000,
  /** Characters of a button label. */
  buttonLabel: 75,
  /** Characters of a button value. */
  buttonValue: 2000,
  /** Elements of an actions block. */
  actionsElements: 25,
} as const;

/** A Block Kit block as Pilote builds them. */
export type SlackBlock =
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] }
  | { type: 'actions'; block_id: string; elements: SlackButton[] };

/** A Block Kit button. */
export interface SlackButton {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string; emoji: true };
  value: string;
}

/** One Slack message: fallback text and blocks. */
export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

interface Chunk {
  mrkdwn: string;
  plain: string;
}

/** Splits markup into chunks whose mrkdwn fits a section (escaping can make mrkdwn longer). */
export function sectionChunks(markup: string, max: number = SLACK_LIMITS.sectionText): Chunk[] {
  const chunks: Chunk[] = [];
  for (const part of splitText(markup, max)) {
    if (!part.trim()) continue;
    const mrkdwn = toMrkdwn(part);
    if (mrkdwn.length <= SLACK_LIMITS.sectionText) chunks.push({ mrkdwn, plain: toPlain(part) });
    else chunks.push(...sectionChunks(part, Math.max(100, Math.floor((max * SLACK_LIMITS.sectionText) / mrkdwn.length) - 10)));
  }
  return chunks;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Actions blocks for button rows; action ids are unique in the message (`pilote.<row>.<col>`). */
export function actionBlocks(rows: Button[][] | undefined): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  (rows ?? []).forEach((row, r) => {
    for (let from = 0; from < row.length; from += SLACK_LIMITS.actionsElements) {
      const elements = row.slice(from, from + SLACK_LIMITS.actionsElements).map(
        (b, i): SlackButton => ({
          type: 'button',
          action_id: `${ACTION_PREFIX}${r}.${from + i}`,
          text: { type: 'plain_text', text: truncate(b.label, SLACK_LIMITS.buttonLabel), emoji: true },
          value: b.action.slice(0, SLACK_LIMITS.buttonValue),
        }),
      );
      if (elements.length) blocks.push({ type: 'actions', block_id: `pilote-actions-${r}-${from}`, elements });
    }
  });
  return blocks;
}

/**
 * Rewrites command hints for Slack: the core writes `/aide`, `/lier CODE`…, which Slack would
 * take for commands of their own; here they become `/pilote aide`, `/pilote lier CODE`. Only the
 * given command names are touched, and only as whole words after a space, a bracket, a quote or
 * a backtick (so URLs and fractions stay as they are).
 */
export function slashHints(markup: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return markup;
  return markup.replace(/(^|[\s(«“"'`])\/([\p{L}]+)(?=$|[\s.,;:!?)»”"'`])/gmu, (whole, before: string, word: string) => {
    const folded = word.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
    return names.has(folded) ? `${before}/pilote ${word}` : whole;
  });
}

/**
 * Renders a message as one or more Slack payloads. The text's sections are packed so that each
 * payload stays within the block and text limits; the buttons go on the last payload; when the
 * text needs several payloads, each ends with a small `n/N` context block.
 */
export function renderMessage(message: OutboundMessage): SlackPayload[] {
  const chunks = sectionChunks(message.text);
  const actions = actionBlocks(message.buttons);
  const fits = (n: number, plain: number, reserved: number) => n + reserved <= SLACK_LIMITS.blocks && plain <= SLACK_LIMITS.text;
  const totalPlain = chunks.reduce((n, c) => n + c.plain.length + 1, 0);
  const single = fits(chunks.length, totalPlain, actions.length);
  // Several payloads: each keeps one block for its `n/N` context; the last also holds the buttons.
  const groups: Chunk[][] = [];
  let current: Chunk[] = [];
  let plain = 0;
  for (const chunk of chunks) {
    if (!single && current.length > 0 && !fits(current.length + 1, plain + chunk.plain.length + 1, 1)) {
      groups.push(current);
      current = [];
      plain = 0;
    }
    current.push(chunk);
    plain += chunk.plain.length + 1;
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  // The buttons must fit beside the last group.
  const last = groups[groups.length - 1]!;
  if (!single && last.length + actions.length + 1 > SLACK_LIMITS.blocks) {
    const keep = Math.max(0, SLACK_LIMITS.blocks - actions.length - 1);
    groups.push(last.splice(keep));
  }
  return groups.map((group, i): SlackPayload => {
    const blocks: SlackBlock[] = group.map((c) => ({ type: 'section', text: { type: 'mrkdwn', text: c.mrkdwn } }));
    if (groups.length > 1) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${i + 1}/${groups.length}` }] });
    if (i === groups.length - 1) blocks.push(...actions);
    const text = group.map((c) => c.plain).join('\n');
    return { text: truncate(text || toPlain(message.text) || '…', SLACK_LIMITS.text), blocks };
  });
}
