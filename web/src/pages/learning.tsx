// Learning: the datasets curated in each region of the user's grant (GET /v1/learning/datasets),
// as summaries: their examples never leave the region's store.
import { api } from '../api';
import { Scroll, Show, useLoad } from '../components';
import { number } from '../format';
import { t } from '../i18n';

interface Dataset {
  version: string;
  region: string;
  window_steps: number;
  step_dim: number;
  train_examples: number;
  test_examples: number;
  train_positives: number;
  test_positives: number;
  counts_per_trigger: Record<string, number>;
}

export function LearningPage() {
  const datasets = useLoad(() => api<{ data: Dataset[] }>('/v1/learning/datasets'), []);
  return (
    <section aria-labelledby="learning-title">
      <h2 id="learning-title">{t('nav.learning')}</h2>
      <p class="muted">{t('learning.about')}</p>
      <Show loaded={datasets}>
        {({ data }) =>
          data.length === 0 ? (
            <p data-testid="no-datasets">{t('learning.none')}</p>
          ) : (
            <Scroll label={t('learning.datasets')}>
              <table data-testid="datasets">
                <caption>{t('learning.datasets')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('fleet.region')}</th>
                    <th scope="col">{t('learning.version')}</th>
                    <th scope="col">{t('learning.window')}</th>
                    <th scope="col">{t('learning.train')}</th>
                    <th scope="col">{t('learning.test')}</th>
                    <th scope="col">{t('learning.triggers')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((d) => (
                    <tr data-region={d.region}>
                      <td>{d.region}</td>
                      <td>{d.version}</td>
                      <td>
                        {d.window_steps} × {d.step_dim}
                      </td>
                      <td>{t('learning.examples', { n: number(d.train_examples), p: number(d.train_positives) })}</td>
                      <td>{t('learning.examples', { n: number(d.test_examples), p: number(d.test_positives) })}</td>
                      <td>
                        {Object.entries(d.counts_per_trigger)
                          .map(([trigger, n]) => `${trigger} ${number(n)}`)
                          .join(', ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )
        }
      </Show>
    </section>
  );
}
