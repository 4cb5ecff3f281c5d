/**
 * A queue of work held until the end of the current turn of the event loop, then run back to back.
 * The model server answers in three phases per turn, as Redis does before it sleeps:
 * - Node reads every request that arrived in the turn;
 * - the handler then answers them one after the other;
 * - the replies are written back to back at the end.
 * Each phase's code and data can stay in the CPU's caches across the turn's requests, where running
 * each request start to finish between the others' reads left them cold every time. The clients'
 * side also wakes once for many replies, not once for each; waking a waiting process is one of
 * the costliest steps of a small request, more so on a virtual machine. A lone request waits for
 * nothing; under load, a request waits at most for the rest of its turn.
 */
export function endOfTurn(): (work: () => void) => void {
  let queue: (() => void)[] = []
  const run = () => {
    const works = queue
    queue = []
    for (const work of works) work()
  }
  return (work) => {
    if (queue.push(work) === 1) setImmediate(run)
  }
}
