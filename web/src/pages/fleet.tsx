// Fleet: search the registry by VIN, market and region (GET /v1/vehicles, GET /v1/vehicles/{vin});
// a car's page shows its decoded VIN, home region and the providers it may use, and its latest
// telemetry (GET /v1/telemetry/{vin}). The API answers only within the user's grant.
import { useState } from 'preact/hooks';

import { allRegions, api, hasRole, Session } from '../api';
import { Show, useLoad } from '../components';
import { time } from '../format';
import { t } from '../i18n';

interface Vehicle {
  vin: string;
  market: string;
  region: string;
  label: string;
  manufacturer: string;
  providers: string[];
}
interface DecodedVin {
  wmi: string;
  manufacturer: string;
  country: string;
  region_of_origin: string;
  model_year: number | null;
  plant_code: string;
  plant: string;
  serial: string;
  check_digit: { required: boolean; valid: boolean; expected: string };
}
interface VehicleList {
  data: Vehicle[];
  next_cursor: string | null;
}
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
}

const kLatestWindowMs = 24 * 3600 * 1000;

function vehiclesQuery(region: string, market: string): string {
  const q = new URLSearchParams({ limit: '100' });
  if (region) q.set('region', region);
  if (market) q.set('market', market.toUpperCase());
  return `/v1/vehicles?${q}`;
}

function Search({ session }: { session: Session }) {
  const [vin, setVin] = useState('');
  const [market, setMarket] = useState('');
  const [region, setRegion] = useState(allRegions(session) || session.regions.length > 1 ? '' : session.regions[0]);
  const [query, setQuery] = useState(vehiclesQuery(region, ''));
  const needsRegion = !allRegions(session) && session.regions.length > 1 && !region;
  const list = useLoad(() => (needsRegion ? Promise.resolve({ data: [], next_cursor: null }) : api<VehicleList>(query)), [query]);

  const submit = (e: Event) => {
    e.preventDefault();
    const v = vin.trim().toUpperCase();
    if (v) location.hash = `#/fleet/${encodeURIComponent(v)}`;
    else setQuery(vehiclesQuery(region, market.trim()));
  };
  const input = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);

  return (
    <>
      <form class="search" onSubmit={submit} role="search">
        <label>
          {t('fleet.vin')} <input value={vin} onInput={input(setVin)} maxLength={17} name="vin" />
        </label>
        <label>
          {t('fleet.market')} <input value={market} onInput={input(setMarket)} maxLength={2} name="market" />
        </label>
        <label>
          {t('fleet.region')}{' '}
          <select value={region} onChange={input(setRegion)} name="region">
            {(allRegions(session) || session.regions.length > 1) && <option value="">{t('fleet.any_region')}</option>}
            {session.regions
              .filter((r) => r !== '*')
              .map((r) => (
                <option value={r}>{r}</option>
              ))}
          </select>
        </label>
        <button type="submit">{t('fleet.search')}</button>
      </form>
      {needsRegion && <p>{t('fleet.choose_region')}</p>}
      <Show loaded={list}>
        {(page) =>
          page.data.length === 0 ? (
            <p>{t('fleet.none')}</p>
          ) : (
            <table data-testid="vehicles">
              <caption>{t('fleet.vehicles')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('fleet.vin')}</th>
                  <th scope="col">{t('fleet.market')}</th>
                  <th scope="col">{t('fleet.region')}</th>
                  <th scope="col">{t('fleet.manufacturer')}</th>
                  <th scope="col">{t('fleet.label')}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((v) => (
                  <tr data-region={v.region}>
                    <td>
                      <a href={`#/fleet/${v.vin}`}>{v.vin}</a>
                    </td>
                    <td>{v.market}</td>
                    <td>{v.region}</td>
                    <td>{v.manufacturer}</td>
                    <td>{v.label}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </>
  );
}

function LatestState({ vin }: { vin: string }) {
  const telemetry = useLoad(
    () => api<Telemetry>(`/v1/telemetry/${encodeURIComponent(vin)}?from=${Date.now() - kLatestWindowMs}&limit=1000`),
    [vin],
  );
  return (
    <Show loaded={telemetry}>
      {(page) => {
        const latest = page.records[page.records.length - 1];
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
      }}
    </Show>
  );
}

function Decoded({ vin }: { vin: string }) {
  const decoded = useLoad(() => api<DecodedVin>(`/v1/vin/${encodeURIComponent(vin)}`), [vin]);
  return (
    <Show loaded={decoded}>
      {(d) => (
        <dl class="figures" data-testid="decoded">
          <dt>{t('fleet.manufacturer')}</dt>
          <dd>{d.manufacturer}</dd>
          <dt>WMI</dt>
          <dd>{d.wmi}</dd>
          <dt>{t('car.origin')}</dt>
          <dd>{[d.country, d.region_of_origin].filter(Boolean).join(', ') || '—'}</dd>
          <dt>{t('car.plant')}</dt>
          <dd>{d.plant || d.plant_code}</dd>
          <dt>{t('car.model_year')}</dt>
          <dd>{d.model_year ?? '—'}</dd>
          <dt>{t('car.serial')}</dt>
          <dd>{d.serial}</dd>
          <dt>{t('car.check_digit')}</dt>
          <dd>{d.check_digit.valid ? t('car.check_ok') : t('car.check_expected', { digit: d.check_digit.expected })}</dd>
        </dl>
      )}
    </Show>
  );
}

function Car({ vin, session }: { vin: string; session: Session }) {
  const car = useLoad(() => api<Vehicle>(`/v1/vehicles/${encodeURIComponent(vin)}`), [vin]);
  return (
    <section aria-labelledby="car-title">
      <p>
        <a href="#/fleet">← {t('nav.fleet')}</a>
      </p>
      <h2 id="car-title">{vin}</h2>
      <h3>{t('car.decoded')}</h3>
      <Decoded vin={vin} />
      <h3>{t('car.registration')}</h3>
      <Show loaded={car}>
        {(v) => (
          <>
            <dl class="figures" data-testid="car">
              <dt>{t('fleet.region')}</dt>
              <dd>{v.region}</dd>
              <dt>{t('fleet.market')}</dt>
              <dd>{v.market}</dd>
              <dt>{t('fleet.label')}</dt>
              <dd>{v.label || '—'}</dd>
              <dt>{t('overview.providers')}</dt>
              <dd>{v.providers.join(' → ')}</dd>
            </dl>
            <h3>{t('car.latest')}</h3>
            {hasRole(session, 'operator', 'admin') ? <LatestState vin={vin} /> : <p>{t('car.telemetry_roles')}</p>}
          </>
        )}
      </Show>
    </section>
  );
}

export function FleetPage({ session, vin }: { session: Session; vin?: string }) {
  if (vin) return <Car vin={vin} session={session} />;
  return (
    <section aria-labelledby="fleet-title">
      <h2 id="fleet-title">{t('nav.fleet')}</h2>
      <Search session={session} />
    </section>
  );
}
