/**
 * Hash routes (`#/jobs/ftjob-…`): the site is static files, so every page is `index.html` and no
 * server rewrite is needed, locally or behind CloudFront.
 */
export type Cleanup = () => void;
export type Page = (root: HTMLElement, params: Record<string, string>) => Cleanup | void;

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
}

export class Router {
  private routes: Route[] = [];
  private cleanup: Cleanup | void = undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly notFound: Page,
  ) {}

  add(path: string, page: Page): this {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/:([a-z]+)/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    this.routes.push({ pattern, names, page });
    return this;
  }

  /** The current path without the leading `#`. */
  static path(): string {
    return location.hash.replace(/^#/, '') || '/jobs';
  }

  render(): void {
    this.cleanup?.();
    this.cleanup = undefined;
    this.root.replaceChildren();
    const path = Router.path().split('?')[0];
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      this.cleanup = r.page(this.root, params);
      return;
    }
    this.cleanup = this.notFound(this.root, {});
  }
}

/** Query parameters of the hash route (`#/jobs?status=running`). */
export function routeQuery(): URLSearchParams {
  const q = location.hash.split('?')[1];
  return new URLSearchParams(q ?? '');
}
