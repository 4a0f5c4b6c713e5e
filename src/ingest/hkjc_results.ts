// Feed hkjc_results: Hong Kong Jockey Club race results, one row per runner (the
// racing.hkjc.com results page as CSV, text in Chinese, UTF-8 with a byte-order mark).
//
// Row-level validation: the date, the venue (沙田 = ST Sha Tin, 跑馬地 = HV Happy
// Valley, or the codes), the race and horse numbers, the place column — a number, a
// number with 平頭馬 / DH (dead heat), or a code: PU, FE, UR, DNF (did not finish),
// DISQ (disqualified), WV, WV-A, WX, WX-A, TNP (non-runner) — the finish time (1:09.80),
// weights and the win odds. The horse's brand code is taken from its name ("光年八十
// (H170)"). A horse withdrawn before numbers were given has an empty horse_no: it is kept
// as a non-runner known by its brand code.
// The SQL merge (ingest.merge_hkjc_results) makes races, runners and race_win markets.
import { z } from 'zod';
import { defineFeed, inPlausibleYears, int, isoDate, optionalDecimalOdds, optionalInt, optionalText, text, type BatchRow } from './feed.ts';

const VENUES: Record<string, string> = { 沙田: 'ST', 跑馬地: 'HV', ST: 'ST', HV: 'HV' };

const NOT_FINISHED: Record<string, 'did_not_finish' | 'disqualified' | 'non_runner'> = {
  PU: 'did_not_finish',
  FE: 'did_not_finish',
  UR: 'did_not_finish',
  DNF: 'did_not_finish',
  TO: 'did_not_finish',
  DISQ: 'disqualified',
  DQ: 'disqualified',
  WV: 'non_runner',
  'WV-A': 'non_runner',
  WX: 'non_runner',
  'WX-A': 'non_runner',
  TNP: 'non_runner',
};

/** A horse's name with its brand code: "光年八十 (H170)". */
const BRANDED = /^(.*?)\s*\(([A-Z]{1,2}\d{3})\)$/;

/** "---" and "-" mean "none" in this format. */
const dashes = (v: unknown) => (typeof v === 'string' && /^\s*-+\s*$/.test(v) ? '' : v);

const place = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const m = /^(\d{1,2})(\s*(平頭馬|DH))?$/.exec(v);
    if (m) return { status: 'finished' as const, place: Number(m[1]), deadHeat: Boolean(m[2]) };
    const status = NOT_FINISHED[v.toUpperCase()];
    if (status) return { status, place: null, deadHeat: false };
    ctx.addIssue({ code: 'custom', message: 'is not a place (a number, a dead heat, or PU, FE, UR, DNF, DISQ, WV, WX, TNP)' });
    return z.NEVER;
  });

const finishTime = z.preprocess(
  dashes,
  z
    .string()
    .trim()
    .transform((v, ctx) => {
      if (v === '') return null;
      const m = /^(?:(\d+):)?(\d{1,2}(?:\.\d+)?)$/.exec(v);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'is not a finish time like 1:09.80' });
        return z.NEVER;
      }
      const seconds = Number(m[1] ?? 0) * 60 + Number(m[2]);
      return `${seconds.toFixed(2)} seconds`;
    }),
);

const schema = z
  .object({
    date: inPlausibleYears(isoDate, 1884, 'Hong Kong racing'), // the Hong Kong Jockey Club's founding
    venue: z
      .string()
      .trim()
      .transform((v, ctx) => {
        const code = VENUES[v];
        if (!code) {
          ctx.addIssue({ code: 'custom', message: 'is not a Hong Kong venue (沙田 / ST, 跑馬地 / HV)' });
          return z.NEVER;
        }
        return code;
      }),
    race_no: int(1, 20),
    race_meeting_no: optionalInt(1, 100000),
    race_name: optionalText,
    race_class: optionalText,
    distance_m: optionalInt(800, 4000),
    rating_range: optionalText,
    going: optionalText,
    course: optionalText,
    prize_hkd: optionalInt(0, 1e9),
    race_finish_time: optionalText,
    sectional_times_header: optionalText,
    place,
    horse_no: optionalInt(1, 24),
    horse_name: text,
    jockey: optionalText,
    trainer: optionalText,
    actual_wt_lbs: z.preprocess(dashes, optionalInt(90, 160)),
    declared_wt_lbs: z.preprocess(dashes, optionalInt(600, 1700)),
    draw: z.preprocess(dashes, optionalInt(1, 20)),
    lbw: z.preprocess(dashes, optionalText),
    running_position: z.preprocess(dashes, optionalText),
    finish_time: finishTime,
    win_odds: z.preprocess(dashes, optionalDecimalOdds),
  })
  .superRefine((row, ctx) => {
    if (row.place.status === 'finished' && row.finish_time === null) {
      ctx.addIssue({ code: 'custom', path: ['finish_time'], message: 'a placed runner has a finish time' });
    }
    if (row.horse_no === null && row.place.status !== 'non_runner') {
      ctx.addIssue({ code: 'custom', path: ['horse_no'], message: 'is empty, which only a withdrawn horse (WV, WX, TNP) may be' });
    } else if (row.horse_no === null && !BRANDED.test(row.horse_name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['horse_name'],
        message: 'has no brand code like (H170), which a runner without a horse number needs',
      });
    }
  })
  .transform((row) => {
    const named = BRANDED.exec(row.horse_name);
    return {
      race_date: row.date,
      venue: row.venue,
      race_no: row.race_no,
      race_meeting_no: row.race_meeting_no,
      race_name: row.race_name,
      race_class: row.race_class,
      distance_m: row.distance_m,
      rating_range: row.rating_range,
      going: row.going,
      course: row.course,
      prize_hkd: row.prize_hkd,
      race_finish_time: row.race_finish_time,
      sectional_times: row.sectional_times_header,
      runner_status: row.place.status,
      place: row.place.place,
      dead_heat: row.place.deadHeat,
      horse_no: row.horse_no,
      horse_name: named ? named[1]! : row.horse_name,
      horse_code: named ? named[2]! : null,
      jockey: row.jockey,
      trainer: row.trainer,
      actual_wt_lbs: row.actual_wt_lbs,
      declared_wt_lbs: row.declared_wt_lbs,
      draw: row.draw,
      lbw: row.lbw,
      running_position: row.running_position,
      finish_time: row.finish_time,
      win_odds: row.win_odds,
    };
  });

export const hkjcResults = defineFeed({
  code: 'hkjc_results',
  description: 'Horse racing results, Hong Kong Jockey Club format (one row per runner)',
  format: 'csv',
  requiredColumns: ['date', 'venue', 'race_no', 'place', 'horse_no', 'horse_name'],
  stagingTable: 'ingest.stage_hkjc_results',
  schema,
  columns: [
    'race_date',
    'venue',
    'race_no',
    'race_meeting_no',
    'race_name',
    'race_class',
    'distance_m',
    'rating_range',
    'going',
    'course',
    'prize_hkd',
    'race_finish_time',
    'sectional_times',
    'runner_status',
    'place',
    'dead_heat',
    'horse_no',
    'horse_name',
    'horse_code',
    'jockey',
    'trainer',
    'actual_wt_lbs',
    'declared_wt_lbs',
    'draw',
    'lbw',
    'running_position',
    'finish_time',
    'win_odds',
  ],
  chunkable: true,
  async merge(tx, batchId, final) {
    const [batch] = await tx<BatchRow[]>`select * from ingest.merge_hkjc_results(${batchId}, ${final})`;
    return batch!;
  },
});
