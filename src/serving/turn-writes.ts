/**
 * Holds writes until the end of the current turn of the event loop, then runs them back to back —
 * as Redis writes its replies just before it sleeps. Every request that arrived in this turn is
 * answered first, and then all their replies go out together. The client side then wakes once for
 * many replies, not once for each. Waking a waiting process is one of the costliest steps of a
 * small request, and more so on a virtual machine. A reply waits at most for the rest of the
 * turn's requests; a lone request waits for nothing.
 */
export function turnWrites(): (write: () => void) => void {
  let queue: (() => void)[] = []
  const flush = () => {
    const writes = queue
    queue = []
    for (const write of writes) write()
  }
  return (write) => {
    if (queue.push(write) === 1) setImmediate(flush)
  }
}
