import { usePageTitle } from '../hooks/usePageTitle';
import { Link } from '../router';

export function NotFoundPage() {
  usePageTitle('Not found');
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the start page</Link>.
      </p>
    </>
  );
}
