// The member code on /account/member: a new code every 30 s (each is good for two minutes, once).
// Without a connection the code on screen stays until it expires, then the page says so: a code
// exists only once the server has issued it.
(() => {
  const root = document.querySelector('[data-member-code]');
  if (!root) return;
  const image = root.querySelector('img');
  const digits = root.querySelector('.member-digits');
  const status = root.querySelector('.member-status');
  let expiresAt = Number(root.dataset.expiresAt);
  const show = (text) => {
    status.textContent = text;
  };
  const expireIfDue = () => {
    if (Date.now() < expiresAt) return;
    root.classList.add('expired');
    image.hidden = true;
    digits.hidden = true;
    show(root.dataset.expiredText);
  };
  async function refresh() {
    try {
      const response = await fetch(root.dataset.memberCode, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(String(response.status));
      const code = await response.json();
      image.src = code.qr;
      digits.textContent = code.display;
      expiresAt = Date.now() + code.expires_in * 1000;
      root.classList.remove('expired');
      image.hidden = false;
      digits.hidden = false;
      show(root.dataset.freshText);
      setTimeout(refresh, code.refresh_in * 1000);
    } catch {
      show(root.dataset.offlineText);
      expireIfDue();
      setTimeout(refresh, 10_000);
    }
  }
  setInterval(expireIfDue, 1000);
  setTimeout(refresh, Number(root.dataset.refreshIn) * 1000);
})();
