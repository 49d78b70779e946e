// Passkeys on the hosted pages (progressive enhancement: every page works without this file),
// and the onward post of a SAML response.
// Markup contract:
//   <button data-passkey="sign-in|register" data-options="URL" data-form="FORM-ID">
//   <form id="FORM-ID" method="post"> with hidden inputs csrf and response
// The options come from the server as WebAuthn JSON; the browser's answer is posted back in the
// form, so the server answers with an ordinary redirect. On sign-in pages the e-mail field carries
// autocomplete="username webauthn" and passkeys are offered there too (conditional mediation).
(function () {
  'use strict';
  var b64 = {
    toBytes: function (text) {
      var base = text.replace(/-/g, '+').replace(/_/g, '/');
      var raw = atob(base + '==='.slice((base.length + 3) % 4));
      var bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      return bytes.buffer;
    },
    fromBytes: function (buffer) {
      var bytes = new Uint8Array(buffer);
      var raw = '';
      for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
      return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    },
  };

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    var options = Object.assign({}, json, { challenge: b64.toBytes(json.challenge), user: Object.assign({}, json.user, { id: b64.toBytes(json.user.id) }) });
    options.excludeCredentials = (json.excludeCredentials || []).map(function (c) { return Object.assign({}, c, { id: b64.toBytes(c.id) }); });
    return options;
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    var options = Object.assign({}, json, { challenge: b64.toBytes(json.challenge) });
    options.allowCredentials = (json.allowCredentials || []).map(function (c) { return Object.assign({}, c, { id: b64.toBytes(c.id) }); });
    return options;
  }

  function toJSON(credential) {
    if (typeof credential.toJSON === 'function') return credential.toJSON();
    var r = credential.response;
    var response = { clientDataJSON: b64.fromBytes(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = b64.fromBytes(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = b64.fromBytes(r.authenticatorData);
      response.signature = b64.fromBytes(r.signature);
      if (r.userHandle) response.userHandle = b64.fromBytes(r.userHandle);
    }
    return { id: credential.id, rawId: b64.fromBytes(credential.rawId), type: credential.type, response: response, clientExtensionResults: credential.getClientExtensionResults(), authenticatorAttachment: credential.authenticatorAttachment || undefined };
  }

  function fetchOptions(url, form) {
    var body = new URLSearchParams({ csrf: form.elements.csrf.value });
    return fetch(url, { method: 'POST', body: body, credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (answer) {
      if (!answer.ok) throw new Error('options ' + answer.status);
      return answer.json();
    });
  }

  function submit(form, credential) {
    form.elements.response.value = JSON.stringify(toJSON(credential));
    form.submit();
  }

  var pending = null;

  function signIn(button, form, conditional) {
    if (pending) pending.abort();
    var controller = new AbortController();
    pending = controller;
    return fetchOptions(button.getAttribute('data-options'), form)
      .then(function (json) {
        var request = { publicKey: requestOptions(json), signal: controller.signal };
        if (conditional) request.mediation = 'conditional';
        return navigator.credentials.get(request);
      })
      .then(function (credential) { if (credential) submit(form, credential); })
      .catch(function (error) { if (!conditional && error.name !== 'AbortError') showFailure(button); });
  }

  function register(button, form) {
    return fetchOptions(button.getAttribute('data-options'), form)
      .then(function (json) { return navigator.credentials.create({ publicKey: creationOptions(json) }); })
      .then(function (credential) { if (credential) submit(form, credential); })
      .catch(function () { showFailure(button); });
  }

  function showFailure(button) {
    var note = document.getElementById(button.getAttribute('data-failure'));
    if (note) note.hidden = false;
  }

  document.addEventListener('DOMContentLoaded', function () {
    // A SAML response on its way to the service provider (saml-post.page.ts) goes on by itself.
    var onward = document.querySelector('form[data-autosubmit]');
    if (onward) onward.submit();
    var buttons = document.querySelectorAll('[data-passkey]');
    var supported = typeof window.PublicKeyCredential === 'function';
    buttons.forEach(function (button) {
      var form = document.getElementById(button.getAttribute('data-form'));
      if (!supported || !form) return;
      button.hidden = false;
      button.addEventListener('click', function (event) {
        event.preventDefault();
        if (button.getAttribute('data-passkey') === 'register') register(button, form);
        else signIn(button, form, false);
      });
      // Offer passkeys in the e-mail field's autofill, unless the page reports a failed attempt
      // (then only the button tries again, so a refused passkey is not retried by itself).
      var failed = document.querySelector('.alert:not([hidden])');
      if (button.getAttribute('data-passkey') === 'sign-in' && !failed && PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
          if (available) signIn(button, form, true);
        });
      }
    });
    if (!supported) {
      document.querySelectorAll('[data-passkey-unsupported]').forEach(function (note) { note.hidden = false; });
      var skip = document.querySelector('form[data-passkey-autoskip]');
      if (skip) skip.submit();
    }
  });
})();
