/**
 * @file The one post-order walk over a graph: iterative (expanded convolution graphs and long chains
 * are deeper than the JS stack), each vertex visited after all its children. The engine's
 * topological sort and the drawings' traversal (src/viz/view.ts) both run on it.
 */
export function postOrder<T>(
  roots: readonly T[],
  children: (t: T) => readonly T[],
  visit: (t: T) => void,
  include: (t: T) => boolean = () => true,
): void {
  const seen = new Set<T>();
  const stack: T[] = [];
  const next: number[] = [];
  for (const root of roots) {
    if (seen.has(root) || !include(root)) continue;
    seen.add(root);
    stack.push(root);
    next.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const t = stack[top];
      const kids = children(t);
      let i = next[top];
      while (i < kids.length && (seen.has(kids[i]) || !include(kids[i]))) i++;
      if (i < kids.length) {
        next[top] = i + 1;
        seen.add(kids[i]);
        stack.push(kids[i]);
        next.push(0);
      } else {
        stack.pop();
        next.pop();
        visit(t);
      }
    }
  }
}
