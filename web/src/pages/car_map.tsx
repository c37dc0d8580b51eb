// The car's coarsened track (GET /v1/telemetry/{vin}/track: one point per grid cell it entered)
// on a map drawn offline: the countries of Natural Earth 1:110m (npm world-atlas, bundled into
// app.js) projected with d3-geo into an SVG. Nothing is fetched but the track.
import { geoMercator, geoPath } from 'd3-geo';
import type { Feature, FeatureCollection, LineString, Polygon } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';

import { number, time } from '../format';
import { t } from '../i18n';

export interface Track {
  grid_degrees: number;
  records: number;
  points: { time_ms: number; lat: number; lon: number }[];
  next_cursor: string | null;
}

const kWidth = 640;
const kHeight = 400;
// At least this much of the world around the track, in degrees, so a track inside one city
// still shows the coast and the borders around it.
const kMinSpan = 4;

const atlas = world as unknown as Topology<{ countries: GeometryCollection }>;
const countries = feature(atlas, atlas.objects.countries) as FeatureCollection;

// The box the map shows: the track's extent, widened to kMinSpan and padded by a tenth.
function frame(points: Track['points']): Feature<Polygon> {
  const lats = points.map((p) => p.lat);
  const lons = points.map((p) => p.lon);
  const widen = (lo: number, hi: number, limit: number): [number, number] => {
    const span = Math.max(hi - lo, kMinSpan) * 1.1;
    const mid = (lo + hi) / 2;
    return [Math.max(-limit, mid - span / 2), Math.min(limit, mid + span / 2)];
  };
  const [south, north] = widen(Math.min(...lats), Math.max(...lats), 85);
  const [west, east] = widen(Math.min(...lons), Math.max(...lons), 180);
  return {
    type: 'Feature',
    properties: {},
    geometry: { type: 'Polygon', coordinates: [[[west, south], [west, north], [east, north], [east, south], [west, south]]] },
  };
}

export function TrackMap({ track, vin }: { track: Track; vin: string }) {
  const points = track.points;
  if (points.length === 0) return <p data-testid="no-track">{t('car.no_track')}</p>;
  const projection = geoMercator()
    .fitExtent([[8, 8], [kWidth - 8, kHeight - 8]], frame(points))
    .clipExtent([[0, 0], [kWidth, kHeight]]);
  const path = geoPath(projection);
  const line: Feature<LineString> = {
    type: 'Feature',
    properties: {},
    geometry: { type: 'LineString', coordinates: points.map((p) => [p.lon, p.lat]) },
  };
  const ends = [points[0], points[points.length - 1]].map((p) => projection([p.lon, p.lat]) ?? [0, 0]);
  const first = points[0];
  const last = points[points.length - 1];
  const label = t('car.track_label', {
    vin,
    n: number(points.length),
    km: number(track.grid_degrees * 111, 1),
    from: time(first.time_ms),
    to: time(last.time_ms),
  });
  return (
    <figure class="map" data-testid="track">
      <svg viewBox={`0 0 ${kWidth} ${kHeight}`} role="img" aria-label={label}>
        <rect class="sea" width={kWidth} height={kHeight} />
        {countries.features.map((c) => (
          <path class="land" d={path(c) ?? ''} />
        ))}
        <path class="route" d={path(line) ?? ''} />
        <circle class="start" cx={ends[0][0]} cy={ends[0][1]} r={5} />
        <circle class="end" cx={ends[1][0]} cy={ends[1][1]} r={5} />
      </svg>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
