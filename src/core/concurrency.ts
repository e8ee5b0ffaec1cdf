/**
 * Maps items with at most `concurrency` calls in flight and yields results in input order, so
 * collectors can overlap requests and still emit records deterministically.
 */
export async function* mapOrdered<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const launch = () => {
    if (next < items.length) {
      const index = next++;
      const promise = fn(items[index]!, index);
      // Rejections are observed when awaited in order; avoid unhandled-rejection noise meanwhile.
      promise.catch(() => undefined);
      pending.push(promise);
    }
  };
  for (let i = 0; i < concurrency; i++) launch();
  while (pending.length > 0) {
    const result = await pending.shift()!;
    launch();
    yield result;
  }
}
