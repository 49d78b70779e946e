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
// <div data-brand-preview> beside a brand's form: its name, accent colour (a sample button and
// link, and the contrast against white as WCAG 2.1 computes it), logo and sender as they are typed
// or chosen, before anything is saved. Without this file the preview shows the saved brand.
(function () {
  'use strict';
  var preview = document.querySelector('[data-brand-preview]');
  if (!preview) return;
  var field = function (name) { return document.getElementById('field-' + name); };
  var name = field('name'), colour = field('accent_color'), logo = field('logo'), sender = field('sender'), removeLogo = field('remove_logo');
  var texts = JSON.parse(preview.getAttribute('data-contrast-texts') || '{}');
  var sample = preview.querySelector('[data-preview-sample]');
  var nameText = preview.querySelector('[data-preview-name]');
  var savedLogo = preview.querySelector('.brand-preview-logo');
  var chosenLogo = null;
  function linear(channel) { var c = channel / 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }
  function contrast(hex) {
    var value = parseInt(hex.slice(1, 7), 16);
    var luminance = 0.2126 * linear((value >> 16) & 255) + 0.7152 * linear((value >> 8) & 255) + 0.0722 * linear(value & 255);
    return 1.05 / (luminance + 0.05);
  }
  function logoShown() {
    if (chosenLogo) return chosenLogo;
    return savedLogo && !(removeLogo && removeLogo.checked) ? savedLogo : null;
  }
  function draw() {
    var accent = colour && /^#[0-9a-fA-F]{6}$/.test(colour.value) ? colour.value.toLowerCase() : null;
    if (accent) {
      var ratio = contrast(accent);
      sample.style.setProperty('--sample-accent', accent);
      sample.hidden = false;
      preview.querySelector('[data-preview-colour]').textContent = accent;
      preview.querySelector('[data-preview-contrast]').textContent = (ratio >= 4.5 ? texts.enough : texts.low).replace('{ratio}', (Math.round(ratio * 10) / 10).toFixed(1));
    }
    if (name) nameText.textContent = name.value;
    var shown = logoShown();
    [savedLogo, chosenLogo].forEach(function (image) { if (image) image.hidden = image !== shown; });
    if (shown && name) shown.alt = name.value;
    nameText.hidden = Boolean(shown);
    if (sender) preview.querySelector('[data-preview-sender]').textContent = sender.value.trim() || preview.getAttribute('data-sender-default');
  }
  function readLogo() {
    var file = logo.files && logo.files[0];
    if (chosenLogo) { chosenLogo.remove(); chosenLogo = null; }
    if (!file || !/^image\/(png|svg\+xml)$/.test(file.type) || file.size > 40 * 1024) return draw();
    var reader = new FileReader();
    reader.onload = function () {
      chosenLogo = document.createElement('img');
      chosenLogo.className = 'brand-preview-logo';
      chosenLogo.src = reader.result;
      preview.insertBefore(chosenLogo, preview.firstChild);
      draw();
    };
    reader.readAsDataURL(file);
  }
  [name, colour, sender, removeLogo].forEach(function (input) { if (input) input.addEventListener('input', draw); });
  if (removeLogo) removeLogo.addEventListener('change', draw);
  if (logo) logo.addEventListener('change', readLogo);
  draw();
})();
