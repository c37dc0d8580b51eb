// Fleet: search the registry by VIN, market, region and maker (GET /v1/vehicles), and register a
// vehicle (POST /v1/vehicles). A car's own page is car.tsx. The API answers only within the
// user's grant.
import { useState } from 'preact/hooks';

import { allRegions, api, hasRole, Session } from '../api';
import { DataTable, Problem, useAction, useLoad, valueOf } from '../components';
import { t } from '../i18n';
import { Car, Vehicle } from './car';

interface VehicleList {
  data: Vehicle[];
  next_cursor: string | null;
}

function vehiclesQuery(region: string, market: string, maker: string): string {
  const q = new URLSearchParams({ limit: '100' });
  if (region) q.set('region', region);
  if (market) q.set('market', market.toUpperCase());
  if (maker) q.set('maker', maker);
  return `/v1/vehicles?${q}`;
}

function Search({ session }: { session: Session }) {
  const [vin, setVin] = useState('');
  const [market, setMarket] = useState('');
  const [maker, setMaker] = useState('');
  const [region, setRegion] = useState(allRegions(session) || session.regions.length > 1 ? '' : session.regions[0]);
  const [query, setQuery] = useState(vehiclesQuery(region, '', ''));
  const needsRegion = !allRegions(session) && session.regions.length > 1 && !region;
  const list = useLoad(() => (needsRegion ? Promise.resolve({ data: [], next_cursor: null }) : api<VehicleList>(query)), [query]);

  const submit = (e: Event) => {
    e.preventDefault();
    const v = vin.trim().toUpperCase();
    if (v) location.hash = `#/fleet/${encodeURIComponent(v)}`;
    else setQuery(vehiclesQuery(region, market.trim(), maker.trim()));
  };

  return (
    <>
      <form class="search" onSubmit={submit} role="search">
        <label>
          {t('fleet.vin')} <input value={vin} onInput={(e) => setVin(valueOf(e))} maxLength={17} name="vin" />
        </label>
        <label>
          {t('fleet.market')} <input value={market} onInput={(e) => setMarket(valueOf(e))} maxLength={2} size={4} name="market" />
        </label>
        <label>
          {t('fleet.manufacturer')} <input value={maker} onInput={(e) => setMaker(valueOf(e))} name="maker" />
        </label>
        <label>
          {t('fleet.region')}{' '}
          <select value={region} onChange={(e) => setRegion(valueOf(e))} name="region">
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
      <DataTable
        loaded={list}
        rows={(page) => page.data}
        caption={t('fleet.vehicles')}
        testId="vehicles"
        empty={t('fleet.none')}
        rowAttrs={(v) => ({ 'data-region': v.region })}
        columns={[
          { header: t('fleet.vin'), cell: (v) => <a href={`#/fleet/${v.vin}`}>{v.vin}</a> },
          { header: t('fleet.market'), cell: (v) => v.market },
          { header: t('fleet.region'), cell: (v) => v.region },
          { header: t('fleet.manufacturer'), cell: (v) => v.manufacturer },
          { header: t('fleet.label'), cell: (v) => v.label },
        ]}
      />
    </>
  );
}

// POST /v1/vehicles; on success the new car's page opens.
function Register() {
  const [vin, setVin] = useState('');
  const [market, setMarket] = useState('');
  const [label, setLabel] = useState('');
  const register = useAction(
    () => api<Vehicle>('/v1/vehicles', 'POST', { vin: vin.trim().toUpperCase(), market: market.trim(), label: label.trim() }),
    (v) => (location.hash = `#/fleet/${v.vin}`),
  );
  return (
    <section aria-labelledby="register-title">
      <h3 id="register-title">{t('fleet.register')}</h3>
      <form class="search" onSubmit={register.submit()}>
        <label>
          {t('fleet.vin')} <input value={vin} required minLength={17} maxLength={17} onInput={(e) => setVin(valueOf(e))} name="new-vin" />
        </label>
        <label>
          {t('fleet.market')}{' '}
          <input value={market} required maxLength={2} size={4} onInput={(e) => setMarket(valueOf(e))} name="new-market" />
        </label>
        <label>
          {t('fleet.label')} <input value={label} maxLength={200} onInput={(e) => setLabel(valueOf(e))} name="new-label" />
        </label>
        <button type="submit" disabled={register.busy}>
          {t('fleet.register_submit')}
        </button>
      </form>
      <Problem error={register.error} />
    </section>
  );
}

export function FleetPage({ session, vin }: { session: Session; vin?: string }) {
  if (vin) return <Car vin={vin} session={session} />;
  return (
    <section aria-labelledby="fleet-title">
      <h2 id="fleet-title">{t('nav.fleet')}</h2>
      <Search session={session} />
      {hasRole(session, 'operator', 'admin') && <Register />}
    </section>
  );
}
