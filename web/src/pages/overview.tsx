// Live figures per region from GET /v1/console/overview/stream (Server-Sent Events, one event a
// second): cars connected, telemetry records/s, assistant requests/s by provider and outcome,
// failovers, breaker states, refused tool calls, pending transfers, and the providers each
// region may use. The last two minutes of the two rates are drawn with uPlot.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { clock, number } from '../format';
import { t } from '../i18n';

interface Region {
  id: string;
  name: string;
  providers: string[];
  cars_connected: number;
  telemetry_records_total: number;
  telemetry_records_per_s: number;
  assistant_requests_total: number;
  assistant_requests_per_s: number;
  assistant: { provider: string; outcome: string; total: number; per_s: number }[];
  failovers_total: number;
  refused_tool_calls_total: number;
  breakers: Record<string, string>;
  pending_transfers: number;
}
interface Snapshot {
  time_ms: number;
  regions: Region[];
}
type History = Record<string, [number[], number[], number[]]>;  // region -> [times s, records/s, requests/s]

const kPoints = 120;

function Chart({ series }: { series: [number[], number[], number[]] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    plot.current = new uPlot(
      {
        width: Math.max(240, box.current!.clientWidth || 320),
        height: 140,
        legend: { show: false },
        scales: {
          x: { time: true, range: (_u, _min, max) => [max - kPoints, max] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] },
        },
        series: [{}, { stroke: '#1f6feb', width: 2, points: { show: false } }, { stroke: '#b35900', width: 2, points: { show: false } }],
        axes: [{ values: (_u, ticks) => ticks.map((s) => clock(s * 1000)), size: 30 }, { size: 50 }],
      },
      series,
      box.current!,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData(series), [series]);
  return (
    <figure class="chart">
      <div ref={box} aria-hidden="true" />
      <figcaption>
        <span class="swatch records" /> {t('overview.records_per_s')} <span class="swatch requests" />{' '}
        {t('overview.requests_per_s')} · {t('overview.last_minutes')}
      </figcaption>
    </figure>
  );
}

function RegionCard({ r, history }: { r: Region; history?: [number[], number[], number[]] }) {
  const breakers = Object.entries(r.breakers);
  return (
    <section class="card" aria-labelledby={`region-${r.id}`} data-region={r.id}>
      <h3 id={`region-${r.id}`}>
        {r.name || r.id} <span class="muted">({r.id})</span>
      </h3>
      <dl class="figures">
        <dt>{t('overview.cars')}</dt>
        <dd data-testid={`cars-${r.id}`}>{number(r.cars_connected)}</dd>
        <dt>{t('overview.records_per_s')}</dt>
        <dd>{number(r.telemetry_records_per_s, 1)}</dd>
        <dt>{t('overview.records_total')}</dt>
        <dd data-testid={`records-${r.id}`}>{number(r.telemetry_records_total)}</dd>
        <dt>{t('overview.requests_per_s')}</dt>
        <dd>{number(r.assistant_requests_per_s, 1)}</dd>
        <dt>{t('overview.failovers')}</dt>
        <dd>{number(r.failovers_total)}</dd>
        <dt>{t('overview.refused_tools')}</dt>
        <dd>{number(r.refused_tool_calls_total)}</dd>
        <dt>{t('overview.pending_transfers')}</dt>
        <dd data-testid={`pending-${r.id}`}>{number(r.pending_transfers)}</dd>
        <dt>{t('overview.providers')}</dt>
        <dd>{r.providers.join(' → ')}</dd>
      </dl>
      {history && <Chart series={history} />}
      {breakers.length > 0 && (
        <table>
          <caption>{t('overview.breakers')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('overview.provider')}</th>
              <th scope="col">{t('overview.state')}</th>
            </tr>
          </thead>
          <tbody>
            {breakers.map(([provider, state]) => (
              <tr>
                <td>{provider}</td>
                <td class={`breaker-${state}`}>{t(`breaker.${state}` as 'breaker.open')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.assistant.length > 0 && (
        <table>
          <caption>{t('overview.requests')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('overview.provider')}</th>
              <th scope="col">{t('overview.outcome')}</th>
              <th scope="col">{t('overview.total')}</th>
              <th scope="col">{t('overview.per_s')}</th>
            </tr>
          </thead>
          <tbody>
            {r.assistant.map((a) => (
              <tr>
                <td>{a.provider}</td>
                <td>{a.outcome}</td>
                <td>{number(a.total)}</td>
                <td>{number(a.per_s, 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function OverviewPage() {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [history, setHistory] = useState<History>({});
  const [ended, setEnded] = useState('');

  useEffect(() => {
    const source = new EventSource('/v1/console/overview/stream');
    source.addEventListener('overview', (e) => {
      const snap = JSON.parse((e as MessageEvent).data) as Snapshot;
      setSnapshot(snap);
      setHistory((old) => {
        const next: History = {};
        for (const r of snap.regions) {
          const [ts, rec, req] = old[r.id] ?? [[], [], []];
          next[r.id] = [
            [...ts, snap.time_ms / 1000].slice(-kPoints),
            [...rec, r.telemetry_records_per_s].slice(-kPoints),
            [...req, r.assistant_requests_per_s].slice(-kPoints),
          ];
        }
        return next;
      });
    });
    source.addEventListener('end', (e) => {
      source.close();
      setEnded(JSON.parse((e as MessageEvent).data).error?.message ?? '');
      // The session is over: reloading brings the sign-in page.
      location.reload();
    });
    return () => source.close();
  }, []);

  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">{t('nav.overview')}</h2>
      <p class="muted">{t('overview.live')}</p>
      {ended && <p role="alert">{ended}</p>}
      {!snapshot && <p class="loading">{t('loading')}</p>}
      {snapshot && snapshot.regions.length === 0 && <p>{t('overview.no_regions')}</p>}
      <div class="cards">
        {snapshot?.regions.map((r) => (
          <RegionCard r={r} history={history[r.id]} />
        ))}
      </div>
    </section>
  );
}
