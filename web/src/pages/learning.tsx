// Learning, per region of the user's grant and all read where the data lives: the datasets
// curated there (GET /v1/learning/datasets), the models trained there with what trained them
// (GET /v1/learning/models: `train local`, `train federate`), and the evaluation table that sets
// each region's models side by side on that region's held-out split. Summaries only: no example
// and no weight leaves its region.
import { api } from '../api';
import { DataTable, loadedValue, Show, useLoad } from '../components';
import { number, time } from '../format';
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
interface Evaluation {
  examples: number;
  positives: number;
  auc: number | null;
  accuracy: number;
  log_loss: number;
}
interface Model {
  name: string;
  kind: string;
  region: string;
  dataset_version: string;
  hidden: number;
  epochs: number;
  rounds: number;
  seed: number;
  train_examples: number;
  created_ms: number;
  test: Evaluation | null;
}

// The models a region may hold, in the order the evaluation table compares them.
const kModels = ['local', 'federated-global', 'federated'] as const;
const kModelName = {
  local: 'learning.model_local',
  'federated-global': 'learning.model_global',
  federated: 'learning.model_federated',
} as const;

const auc = (e: Evaluation | null) => (e === null ? '—' : e.auc === null ? 'n/a' : number(e.auc, 3));

function Datasets() {
  const datasets = useLoad(() => api<{ data: Dataset[] }>('/v1/learning/datasets'), []);
  return (
    <DataTable
      loaded={datasets}
      rows={({ data }) => data}
      caption={t('learning.datasets')}
      testId="datasets"
      empty={t('learning.none')}
      emptyTestId="no-datasets"
      rowAttrs={(d) => ({ 'data-region': d.region })}
      columns={[
        { header: t('fleet.region'), cell: (d) => d.region },
        { header: t('learning.version'), cell: (d) => d.version },
        { header: t('learning.window'), cell: (d) => `${d.window_steps} × ${d.step_dim}` },
        { header: t('learning.train'), cell: (d) => t('learning.examples', { n: number(d.train_examples), p: number(d.train_positives) }) },
        { header: t('learning.test'), cell: (d) => t('learning.examples', { n: number(d.test_examples), p: number(d.test_positives) }) },
        {
          header: t('learning.triggers'),
          cell: (d) =>
            Object.entries(d.counts_per_trigger)
              .map(([trigger, n]) => `${trigger} ${number(n)}`)
              .join(', '),
        },
      ]}
    />
  );
}

// One row per region: each model's held-out AUC (accuracy) on that region's test split.
function EvaluationTable({ models }: { models: Model[] }) {
  const regions = [...new Set(models.map((m) => m.region))];
  const of = (region: string, name: string) => models.find((m) => m.region === region && m.name === name);
  const cell = (m: Model | undefined) =>
    m?.test ? t('learning.score', { auc: auc(m.test), accuracy: number(m.test.accuracy, 3) }) : '—';
  return (
    <DataTable
      loaded={loadedValue(regions)}
      rows={(r) => r}
      caption={t('learning.evaluation')}
      testId="evaluation"
      empty={t('learning.no_models')}
      rowAttrs={(region) => ({ 'data-region': region })}
      columns={[
        { header: t('fleet.region'), cell: (region) => region },
        ...kModels.map((name) => ({ header: t(kModelName[name]), cell: (region: string) => cell(of(region, name)) })),
      ]}
    />
  );
}

function Models() {
  const models = useLoad(() => api<{ data: Model[] }>('/v1/learning/models'), []);
  return (
    <>
      <DataTable
        loaded={models}
        rows={({ data }) => data}
        caption={t('learning.runs')}
        testId="models"
        empty={t('learning.no_models')}
        emptyTestId="no-models"
        rowAttrs={(m) => ({ 'data-region': m.region })}
        columns={[
          { header: t('fleet.region'), cell: (m) => m.region },
          { header: t('learning.model'), cell: (m) => `${m.name} (${m.kind})` },
          { header: t('learning.dataset'), cell: (m) => m.dataset_version || '—' },
          {
            header: t('learning.training'),
            cell: (m) =>
              m.rounds > 0
                ? t('learning.federated_run', { rounds: m.rounds, epochs: m.epochs, hidden: m.hidden })
                : t('learning.local_run', { epochs: m.epochs, hidden: m.hidden }),
          },
          { header: t('learning.train_examples'), cell: (m) => number(m.train_examples) },
          { header: 'AUC', cell: (m) => auc(m.test) },
          { header: t('learning.trained'), cell: (m) => time(m.created_ms) },
        ]}
      />
      <Show loaded={models}>{({ data }) => data.length > 0 && <EvaluationTable models={data} />}</Show>
    </>
  );
}

export function LearningPage() {
  return (
    <section aria-labelledby="learning-title">
      <h2 id="learning-title">{t('nav.learning')}</h2>
      <p class="muted">{t('learning.about')}</p>
      <Datasets />
      <Models />
    </section>
  );
}
