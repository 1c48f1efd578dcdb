import type { Router } from '@angular/router';

/**
 * The URL the user is heading to: during a navigation (a guard's request failed) that is its
 * target, not the page being left; otherwise the page on screen.
 */
export function currentTargetUrl(router: Router): string {
  const navigation = router.currentNavigation();
  if (navigation) return router.serializeUrl(navigation.finalUrl ?? navigation.extractedUrl);
  return router.url;
}
