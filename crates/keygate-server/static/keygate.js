// Keygate's one script, served from the same origin (the CSP allows no inline script). Every
// page works without it; it only adds: a show-password switch, focusing a field from the error
// summary, and the scope picker's filter box and chosen counts.
(function () {
  'use strict';

  // Show password: a checkbox that turns the password field into plain text and back.
  document.querySelectorAll('[data-show-password]').forEach(function (wrapper) {
    var box = wrapper.querySelector('input[type=checkbox]');
    var field = box && document.getElementById(box.getAttribute('aria-controls'));
    if (!field) return;
    wrapper.hidden = false;
    box.addEventListener('change', function () {
      field.type = box.checked ? 'text' : 'password';
    });
    // Never hand a visible password to the browser's form history.
    if (field.form) field.form.addEventListener('submit', function () { field.type = 'password'; });
  });

  // The error summary: its links move focus to the field (opening a closed scope group) and
  // scroll the field's label into view, rather than only scrolling to the field.
  var summary = document.getElementById('error-summary');
  if (summary) {
    if (document.activeElement !== summary) summary.focus();
    summary.addEventListener('click', function (event) {
      var link = event.target.closest('a[href^="#"]');
      var target = link && document.getElementById(link.getAttribute('href').slice(1));
      if (!target) return;
      var field = target.matches('input, textarea, select') ? target : target.querySelector('input, textarea, select');
      if (!field) return;
      event.preventDefault();
      var group = field.closest('details');
      if (group) group.open = true;
      var label = document.querySelector('label[for="' + field.id + '"]') || target;
      field.focus({ preventScroll: true });
      label.scrollIntoView();
    });
  }

  // The scope picker.
  var picker = document.getElementById('scopes');
  if (!picker) return;
  var groups = Array.prototype.slice.call(picker.querySelectorAll('details.scope-group'));
  var count = document.getElementById('scope-count');
  var plural = function (n, one, many) { return n + ' ' + (n === 1 ? one : many); };

  function recount() {
    var total = 0;
    groups.forEach(function (group) {
      var chosen = group.querySelectorAll('input[type=checkbox]:checked').length;
      var label = group.querySelector('[data-group-count]');
      var size = Number(label.getAttribute('data-total'));
      label.textContent = plural(size, 'scope', 'scopes') + (chosen ? ', ' + chosen + ' chosen' : '');
      total += chosen;
    });
    count.textContent = plural(total, 'scope', 'scopes') + ' chosen';
  }
  picker.addEventListener('change', recount);

  var tools = document.getElementById('scope-tools');
  var filter = document.getElementById('scope-filter');
  var status = document.getElementById('scope-filter-status');
  if (!tools || !filter) return;
  tools.hidden = false;
  // Enter in the filter box must not submit the registration form.
  filter.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') event.preventDefault();
  });
  filter.addEventListener('input', function () {
    var words = filter.value.trim().toLowerCase();
    var shown = 0;
    groups.forEach(function (group) {
      var groupName = group.querySelector('summary').textContent.toLowerCase();
      var matches = 0;
      group.querySelectorAll('.scope-option').forEach(function (option) {
        var hit = !words || groupName.indexOf(words) >= 0 || option.textContent.toLowerCase().indexOf(words) >= 0;
        option.hidden = !hit;
        if (hit) matches += 1;
      });
      group.hidden = matches === 0;
      // While filtering, open every group with a match; afterwards, the ones with a choice.
      group.open = words ? matches > 0 : group.querySelector('input:checked') !== null;
      shown += matches;
    });
    status.textContent = words ? plural(shown, 'scope matches', 'scopes match') : '';
  });
})();
