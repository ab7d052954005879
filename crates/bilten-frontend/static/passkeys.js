// Bilten — passkeys (WebAuthn). Progressive enhancement: a form marked data-passkey="register"
// or data-passkey="sign-in" is hidden until this script finds a browser with passkeys. On
// submit it asks our server for options (a single-use challenge), hands them to
// navigator.credentials.create() or .get(), puts the browser's answer (as JSON) into the form's
// hidden "credential" field, and submits the form as usual: the server checks the answer and
// answers with a page, as for any other form. Without JavaScript the forms stay hidden and the
// password keeps working.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-passkey]");
  if (!forms.length) { return; }
  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // WebAuthn Level 3's JSON forms, for browsers without parse…FromJSON / toJSON.
  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = (json.excludeCredentials || []).map(function (c) {
      return { type: c.type, id: toBytes(c.id) };
    });
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = (json.allowCredentials || []).map(function (c) {
      return { type: c.type, id: toBytes(c.id) };
    });
    return options;
  }

  function credentialJson(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      authenticatorAttachment: credential.authenticatorAttachment || null,
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      json.response.userHandle = toText(response.userHandle);
    }
    return json;
  }

  forms.forEach(function (form) {
    var kind = form.getAttribute("data-passkey");
    var status = form.querySelector("[data-passkey-status]");
    var fallback = document.querySelector("[data-passkey-unsupported]");
    if (!supported) {
      if (fallback) { fallback.hidden = false; }
      return;
    }
    form.hidden = false;
    if (fallback) { fallback.hidden = true; }
    var busy = false;
    form.addEventListener("submit", function (event) {
      var field = form.querySelector("input[name=credential]");
      if (field.value) { return; }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      if (status) { status.textContent = ""; }
      var csrf = form.querySelector("input[name=csrf_token]").value;
      fetch(form.getAttribute("data-options"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "csrf_token=" + encodeURIComponent(csrf)
      }).then(function (answer) {
        if (!answer.ok) { throw new Error("options " + answer.status); }
        return answer.json();
      }).then(function (options) {
        return kind === "register"
          ? navigator.credentials.create({ publicKey: creationOptions(options.public_key) })
          : navigator.credentials.get({ publicKey: requestOptions(options.public_key) });
      }).then(function (credential) {
        field.value = JSON.stringify(credentialJson(credential));
        form.submit();
      }).catch(function () {
        busy = false;
        if (status) { status.textContent = status.getAttribute("data-failed"); }
      });
    });
  });
})();
