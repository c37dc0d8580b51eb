// A car's telemetry over a window the user picks: its latest state, a uPlot chart for each numeric
// field the user ticks (GET /v1/telemetry/{vin}), and its coarsened track on the offline map
// (GET /v1/telemetry/{vin}/track, car_map.tsx). Operators and admins of the car's region only.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { api } from '../api';
import { Show, useLoad, valueOf } from '../components';
import { clock, compact, number, time } from '../format';
import { t } from '../i18n';
import { Track, TrackMap } from './car_map';

interface Datum {
  field: string;
  value: unknown;
}
interface TelemetryRecord {
  created_at: number;
  seq: number;
  data: Datum[];
}
interface Telemetry {
  records: TelemetryRecord[];
  next_cursor: string | null;
}

const kHour = 3600 * 1000;
const kWindows: [number, 'car.window_1h' | 'car.window_6h' | 'car.window_24h' | 'car.window_7d'][] = [
  [kHour, 'car.window_1h'],
  [6 * kHour, 'car.window_6h'],
  [24 * kHour, 'car.window_24h'],
  [7 * 24 * kHour, 'car.window_7d'],
];
const kMaxRecords = 10000;
const kPreferred = ['speed', 'state_of_charge'];

// field -> [times in s, values], for the fields whose values are numbers.
function numericSeries(records: TelemetryRecord[]): Map<string, [number[], number[]]> {
  const series = new Map<string, [number[], number[]]>();
  for (const r of records) {
    for (const d of r.data) {
      if (typeof d.value !== 'number') continue;
      let s = series.get(d.field);
      if (!s) series.set(d.field, (s = [[], []]));
      s[0].push(r.created_at / 1000);
      s[1].push(d.value);
    }
  }
  return series;
}

function LatestState({ records }: { records: TelemetryRecord[] }) {
  const latest = records[records.length - 1];
  if (!latest) return <p>{t('car.no_telemetry')}</p>;
  return (
    <dl class="figures" data-testid="latest">
      <dt>{t('car.reported')}</dt>
      <dd>{time(latest.created_at)}</dd>
      {latest.data.map((d) => (
        <>
          <dt>{d.field}</dt>
          <dd>{typeof d.value === 'object' ? JSON.stringify(d.value) : String(d.value)}</dd>
        </>
      ))}
    </dl>
  );
}

function FieldChart({ field, series }: { field: string; series: [number[], number[]] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const plot = new uPlot(
      {
        width: Math.max(240, box.current!.clientWidth || 320),
        height: 160,
        legend: { show: false },
        scales: { x: { time: true } },
        series: [{}, { label: field, stroke: '#1f6feb', width: 2, points: { show: series[0].length < 50 } }],
        axes: [{ values: (_u, ticks) => ticks.map((s) => clock(s * 1000)), size: 30 }, { size: 50 }],
      },
      series,
      box.current!,
    );
    return () => plot.destroy();
  }, [field, series]);
  const values = series[1];
  return (
    <figure class="chart" data-testid={`chart-${field}`}>
      <div ref={box} aria-hidden="true" />
      <figcaption>
        {t('car.chart_caption', {
          field,
          n: number(values.length),
          min: compact(Math.min(...values)),
          max: compact(Math.max(...values)),
        })}
      </figcaption>
    </figure>
  );
}

function Plots({ records }: { records: TelemetryRecord[] }) {
  const series = useMemo(() => numericSeries(records), [records]);
  const fields = [...series.keys()].sort();
  const [chosen, setChosen] = useState<string[]>(() => {
    const preferred = kPreferred.filter((f) => series.has(f));
    return preferred.length ? preferred : fields.slice(0, 1);
  });
  if (fields.length === 0) return <p>{t('car.no_numeric')}</p>;
  const toggle = (field: string) =>
    setChosen((c) => (c.includes(field) ? c.filter((f) => f !== field) : [...c, field].sort()));
  return (
    <>
      <fieldset class="fields">
        <legend>{t('car.fields')}</legend>
        {fields.map((f) => (
          <label>
            <input type="checkbox" checked={chosen.includes(f)} onChange={() => toggle(f)} name={`field-${f}`} /> {f}
          </label>
        ))}
      </fieldset>
      <div class="charts">
        {chosen
          .filter((f) => series.has(f))
          .map((f) => (
            <FieldChart field={f} series={series.get(f)!} />
          ))}
      </div>
    </>
  );
}

export function Telemetry({ vin }: { vin: string }) {
  const [windowMs, setWindowMs] = useState(24 * kHour);
  // The window ends when it is chosen, so the charts and the map show the same stretch of time.
  const [until, setUntil] = useState(Date.now());
  const from = until - windowMs;
  const base = `/v1/telemetry/${encodeURIComponent(vin)}`;
  const telemetry = useLoad(() => api<Telemetry>(`${base}?from=${from}&to=${until}&limit=${kMaxRecords}`), [vin, from, until]);
  const track = useLoad(() => api<Track>(`${base}/track?from=${from}&to=${until}&limit=${kMaxRecords}`), [vin, from, until]);
  const choose = (e: Event) => {
    setWindowMs(Number(valueOf(e)));
    setUntil(Date.now());
  };
  return (
    <section aria-labelledby="telemetry-title">
      <h3 id="telemetry-title">{t('car.telemetry')}</h3>
      <form class="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('car.window')}{' '}
          <select value={String(windowMs)} onChange={choose} name="window">
            {kWindows.map(([ms, key]) => (
              <option value={String(ms)}>{t(key)}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setUntil(Date.now())}>
          {t('car.refresh')}
        </button>
      </form>
      <Show loaded={telemetry}>
        {(page) => (
          <>
            {page.next_cursor && <p class="muted">{t('car.truncated', { n: number(kMaxRecords) })}</p>}
            <h4>{t('car.latest')}</h4>
            <LatestState records={page.records} />
            <h4>{t('car.plots')}</h4>
            <Plots records={page.records} />
          </>
        )}
      </Show>
      <h4>{t('car.track')}</h4>
      <Show loaded={track}>{(tr) => <TrackMap track={tr} vin={vin} />}</Show>
    </section>
  );
}
