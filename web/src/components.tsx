// Pieces every page uses: loading a resource with its error, showing an API refusal, and the
// table of loaded rows most pages show.
import { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

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
  const lastRound = useRef(round);
  useEffect(() => {
    let live = true;
    // New deps forget the old answer; a reload keeps it on screen until the new one is there.
    if (lastRound.current === round) setState({});
    lastRound.current = round;
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

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
}

// The shape most pages share: a loading note, the API's refusal, `empty` when there are no
// rows, or the rows under their column headers in a box that scrolls sideways on its own.
export function DataTable<T, D = T[]>({
  loaded,
  rows,
  columns,
  caption,
  testId,
  empty,
  emptyTestId,
  rowAttrs,
}: {
  loaded: Loaded<D>;
  rows: (data: D) => T[];
  columns: Column<T>[];
  caption: string;
  testId: string;
  empty: string;
  emptyTestId?: string;
  rowAttrs?: (row: T) => Record<string, string>;  // e.g. data-region, for tests and styles
}) {
  return (
    <Show loaded={loaded}>
      {(data) => {
        const list = rows(data);
        if (list.length === 0) return <p data-testid={emptyTestId}>{empty}</p>;
        return (
          <Scroll label={caption}>
            <table data-testid={testId}>
              <caption>{caption}</caption>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th scope="col">{c.header}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {list.map((row) => (
                  <tr {...(rowAttrs?.(row) ?? {})}>
                    {columns.map((c) => (
                      <td>{c.cell(row)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        );
      }}
    </Show>
  );
}

// A loaded value that is already there: for tables of rows another request brought.
export const loadedValue = <T,>(data: T): Loaded<T> => ({ data, reload: () => {} });

export interface Action<A extends unknown[], R> {
  busy: boolean;
  result?: R;
  error?: Error;
  run: (...args: A) => void;
  // A form's onSubmit that runs the action (with `args`) instead of sending the form.
  submit: (...args: A) => (e: Event) => void;
}

// A write the user starts (a form, a button): whether it is under way, then its result or the
// API's refusal.
export function useAction<A extends unknown[], R>(act: (...args: A) => Promise<R>, done?: (result: R) => void): Action<A, R> {
  const [state, setState] = useState<{ busy: boolean; result?: R; error?: Error }>({ busy: false });
  const run = (...args: A) => {
    setState({ busy: true });
    act(...args).then(
      (result) => {
        setState({ busy: false, result });
        done?.(result);
      },
      (error) => setState({ busy: false, error }),
    );
  };
  const submit =
    (...args: A) =>
    (e: Event) => {
      e.preventDefault();
      run(...args);
    };
  return { ...state, run, submit };
}

// The value of the input or select an event came from.
export const valueOf = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
