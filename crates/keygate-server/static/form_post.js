// Submits the OAuth 2.0 Form Post Response Mode form as soon as the page loads. Served from
// this origin, so the CSP allows it without allowing any inline script; without scripts the
// page shows a Continue button instead.
(function () {
  'use strict';
  var form = document.querySelector('form[data-autosubmit]');
  if (form) form.submit();
})();
