/**
 * Ink's render options for the dashboard, shared by `podlet` (main.tsx) and bench/dashboard so the
 * bench measures what ships. Cluster changes reach the app at most 10 times a second (each
 * source coalesces its notifications); Ink's own frame cap only bounds bursts of keys, so it is set
 * where a keypress right after a frame waits little for the next one.
 */
export const renderOptions = { maxFps: 60 } as const
