// The load test of `make bench` (bench/load.ts), briefly: app clients writing picks while
// events complete, a worker scores and refreshes, a refresher and readers run. Checks the
// behaviour, not the speed: no error besides the intended rejections, every pick on a
// completed event scored once, the stats equal a recomputation.
import t from 'tap';
import { formatSection, INTENDED, loadClean, runLoad } from '../bench/load.ts';
import { serverUrl } from './helpers/db.ts';

t.test('four clients, two readers, a worker and a refresher for 4 s: no errors, nothing unscored, stats exact', async (t) => {
  const r = await runLoad({ url: await serverUrl(), seconds: 4, clients: 4, readers: 2, events: 200, completeEveryMs: 100 });
  t.ok(r.picks > 0, `picks were written (${r.picks})`);
  t.ok(r.completed > 0, `events completed (${r.completed})`);
  t.same(r.errors, {}, 'no error besides the intended rejections');
  t.same(
    Object.keys(r.rejected).filter((k) => !(k in INTENDED)),
    [],
    `rejections are only the intended ones: ${JSON.stringify(r.rejected)}`,
  );
  t.equal(r.unscoredOnCompleted, 0, 'every pick on a completed event is scored');
  t.equal(r.statsMismatch, '0', 'the stats views equal a recomputation');
  t.equal(r.incrementalVsFull, '0', 'the incremental stats equal a full recomputation');
  t.ok(loadClean(r), 'loadClean agrees');
  t.ok(r.reads > 0, 'readers read');
  t.equal(r.refreshRuns.failed, 0, 'no refresh run failed');
  const section = formatSection(r);
  t.match(section, /## Load test/, 'the RESULTS.md section has its heading');
  t.match(section, new RegExp(`picks written \\| ${r.picks} `), 'and the figures');
  t.equal(loadClean({ ...r, errors: { 'XX000: boom': 1 } }), false, 'an error makes the run unclean');
});
