// One polite live region for the whole app: what just happened ("Answer saved", "Your
// session has expired…"). Screen readers read it out; everyone sees it under the header.

import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';

import { useLocation } from './router';

interface StatusContextValue {
  message: string;
  /** `keep`: survive the next navigation (for a message announced just before redirecting). */
  announce: (message: string, options?: { keep?: boolean }) => void;
}

const StatusContext = createContext<StatusContextValue>({ message: '', announce: () => {} });

export function StatusProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState('');
  const keepNext = useRef(false);
  const { pathname } = useLocation();

  const announce = useCallback((text: string, options: { keep?: boolean } = {}) => {
    keepNext.current = Boolean(options.keep);
    setMessage(text);
  }, []);

  // A message belongs to the page it was said on, unless it asked to be kept.
  useEffect(() => {
    if (keepNext.current) keepNext.current = false;
    else setMessage('');
  }, [pathname]);

  return <StatusContext.Provider value={{ message, announce }}>{children}</StatusContext.Provider>;
}

export function useStatus(): StatusContextValue {
  return useContext(StatusContext);
}

export function StatusRegion() {
  const { message } = useStatus();
  return (
    <div className="status" role="status" aria-live="polite" data-testid="status">
      {message}
    </div>
  );
}
