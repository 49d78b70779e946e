// The console's progressive enhancement (every page works without this file):
//   <p data-poll="URL" data-status="pending" data-texts='{"verified":"…"}'> polls URL (JSON
//   {status}) every two seconds while the status is pending, and shows the new status's text.
(function () {
  'use strict';
  var element = document.querySelector('[data-poll]');
  if (!element || element.getAttribute('data-status') !== 'pending') return;
  var texts = JSON.parse(element.getAttribute('data-texts') || '{}');
  var url = element.getAttribute('data-poll');
  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (body && body.status && body.status !== element.getAttribute('data-status')) {
          element.setAttribute('data-status', body.status);
          element.className = 'status status-' + body.status;
          element.textContent = texts[body.status] || body.status;
          var form = document.querySelector('form[action$="/check"]');
          if (form && body.status !== 'pending') form.hidden = true;
        }
        if (!body || body.status === 'pending') setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
// <a data-follow href="URL"> (the way back from an upstream provider to a connection test's
// result): followed at once. A navigation this page starts carries the console's SameSite=Strict
// cookie, which the provider's redirect did not; without this file the operator follows the link.
(function () {
  'use strict';
  var follow = document.querySelector('a[data-follow]');
  if (follow) window.location.replace(follow.href);
})();
