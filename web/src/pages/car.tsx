// A car's page: its decoded VIN (GET /v1/vin/{vin}), home region and the providers it may use
// (GET /v1/vehicles/{vin}), its latest telemetry, plots of chosen fields over a chosen window and
// its coarsened track (car_telemetry.tsx), and for operators the changes of car_manage.tsx.
import { api, hasRole, Session } from '../api';
import { Show, useLoad } from '../components';
import { t } from '../i18n';
import { Manage } from './car_manage';
import { Telemetry } from './car_telemetry';

export interface Vehicle {
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

export function Car({ vin, session }: { vin: string; session: Session }) {
  const car = useLoad(() => api<Vehicle>(`/v1/vehicles/${encodeURIComponent(vin)}`), [vin]);
  const operates = hasRole(session, 'operator', 'admin');
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
            {operates ? <Telemetry vin={vin} /> : <p>{t('car.telemetry_roles')}</p>}
            {operates && <Manage vehicle={v} changed={car.reload} />}
          </>
        )}
      </Show>
    </section>
  );
}
