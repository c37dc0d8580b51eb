// Pieces every page uses: loading a resource with its error, and showing an API refusal.
import { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { ApiError } from './api';
import { t } from './i18n';

export interface Loaded<T> {
  data?: T;
  error?: ApiError | Error;
  reload: () => void;
}

// Runs `load` when `deps` change (and on reload()), keeping its result or its error.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error }>({});
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((n) => n + 1) };
}

export function Problem({ error }: { error?: Error }) {
  if (!error) return null;
  const refused = error instanceof ApiError && error.status === 403;
  return (
    <p class="problem" role="alert">
      {refused ? t('refused') : t('failed')}: {error.message}
    </p>
  );
}

// A wide table's box: it scrolls sideways on narrow screens, and takes focus so the keyboard
// can scroll it too.
export function Scroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.error) return <Problem error={loaded.error} />;
  if (loaded.data === undefined) return <p class="loading">{t('loading')}</p>;
  return <>{children(loaded.data)}</>;
}
