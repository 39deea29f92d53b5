/**
 * The optional nickname: from `?name=`, else remembered from an earlier
 * visit, else asked for. A student who ignores the question joins
 * anonymously after a few seconds, so an unattended tab still helps.
 */
const KEY = 'tabtrain-nickname';

export function knownNickname(params: URLSearchParams): string | null {
  const given = params.get('name');
  if (given !== null) return given.slice(0, 40);
  const stored = localStorage.getItem(KEY);
  return stored !== null ? stored.slice(0, 40) : null;
}

export function askNickname(form: HTMLFormElement, input: HTMLInputElement, countdown: HTMLElement, seconds = 10): Promise<string> {
  form.hidden = false;
  input.focus();
  return new Promise((resolve) => {
    let left = seconds;
    let timer: ReturnType<typeof setInterval> | null = null;
    const done = (name: string): void => {
      if (timer) clearInterval(timer);
      form.hidden = true;
      const n = name.trim().slice(0, 40);
      localStorage.setItem(KEY, n);
      resolve(n);
    };
    const tick = (): void => {
      countdown.textContent = `Joining anonymously in ${left} s unless you type a name.`;
      if (left-- <= 0) done('');
    };
    tick();
    timer = setInterval(tick, 1000);
    input.addEventListener('input', () => {
      if (timer) clearInterval(timer);
      timer = null;
      countdown.textContent = 'Press Join when ready.';
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      done(input.value);
    });
  });
}

/** Forget the nickname and join again as someone new. */
export function forgetNickname(): void {
  localStorage.removeItem(KEY);
  const u = new URL(location.href);
  u.searchParams.delete('name');
  location.replace(u.toString());
}
