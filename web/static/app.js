// The pages' only script (the Content-Security-Policy allows no inline script, web/headers.py).
// Every page works without it.
(function () {
  'use strict';

  // "返回" links: back in history when there is one (the link's own href otherwise).
  document.querySelectorAll('[data-back]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
    });
  });

  // "打印" buttons.
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });

  // "全选" boxes: data-check-all="<name>" ticks or clears every box of that name in the same form.
  document.querySelectorAll('[data-check-all]').forEach(function (all) {
    all.addEventListener('change', function () {
      var owner = all.getAttribute('form');
      var sel = 'input[type=checkbox][name="' + all.getAttribute('data-check-all') + '"]' +
        (owner ? '[form="' + owner + '"]' : '');
      document.querySelectorAll(sel).forEach(function (box) { box.checked = all.checked; });
    });
  });

  // Irreversible actions ask first: a form with data-confirm="…" submits only when the person says yes.
  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (e) {
      if (!window.confirm(f.getAttribute('data-confirm'))) { e.preventDefault(); }
    });
  });

  // The request form's lines: add and remove rows in the page; a permanent line has no return date.
  var lines = document.querySelector('[data-lines]'), tpl = document.querySelector('[data-line-template]');
  var count = document.querySelector('[data-line-count]'), add = document.querySelector('[data-add-line]');
  function wire(row) {
    var perm = row.querySelector('[data-permanent]'), end = row.querySelector('[data-end]');
    if (perm && end) {
      perm.addEventListener('change', function () { end.disabled = perm.checked; if (perm.checked) { end.value = ''; } });
    }
    var remove = row.querySelector('[data-remove-line]');
    if (remove) {
      remove.hidden = false;
      remove.addEventListener('click', function () {
        if (lines.querySelectorAll('[data-line]').length > 1) { row.remove(); }
      });
    }
  }
  if (lines && tpl && count && add) {
    lines.querySelectorAll('[data-line]').forEach(wire);
    add.addEventListener('click', function (e) {
      e.preventDefault();
      var i = parseInt(count.value, 10) || 0;
      var holder = document.createElement('tbody');
      holder.innerHTML = tpl.innerHTML.split('__i__').join(String(i));
      var row = holder.querySelector('[data-line]');
      row.querySelector('td').textContent = String(lines.querySelectorAll('[data-line]').length + 1);
      lines.appendChild(row);
      count.value = String(i + 1);
      wire(row);
      var first = row.querySelector('select, input');
      if (first) { first.focus(); }
    });
  }

  // The camera scanner: frames go to the browser's BarcodeDetector where there is one, else (small, grey) to the
  // server's reader (/api/scan); each code found becomes a tag this page then ticks, marks or lists.
  document.querySelectorAll('[data-scanner]').forEach(function (box) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    box.hidden = false;
    var form = box.closest('form'), video = box.querySelector('[data-scan-video]');
    var status = box.querySelector('[data-scan-status]'), toggle = box.querySelector('[data-scan-toggle]');
    var token = form && form.querySelector('input[name=csrf_token]');
    var canvas = document.createElement('canvas'), ctx = canvas.getContext('2d', {willReadFrequently: true});
    var stream = null, timer = null, busy = false, seen = {}, detector = null;
    if ('BarcodeDetector' in window && window.BarcodeDetector.getSupportedFormats) {
      // only where the platform really reads QR codes (Chromium on Linux has the name but no reader)
      window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf('qr_code') >= 0) { detector = new window.BarcodeDetector({formats: ['qr_code']}); }
      }, function () { detector = null; });
    }
    function say(text) { status.textContent = text; }
    function take(tag) {
      if (seen[tag]) { return; }
      seen[tag] = true;
      var mode = box.getAttribute('data-mode');
      if (mode === 'tick') {
        var boxes = form.querySelectorAll('input[type=checkbox][name=tag]');
        var hit = Array.prototype.filter.call(boxes, function (b) { return b.value === tag; })[0];
        if (!hit) { say(tag + ' 不在本拣货单中'); return; }
        hit.checked = true;
        hit.closest('tr').classList.add('scanned');
      } else if (mode === 'row') {
        var row = Array.prototype.filter.call(form.querySelectorAll('tr[data-tag]'), function (r) {
          return r.getAttribute('data-tag') === tag; })[0];
        if (!row) { say(tag + ' 不在本单中'); return; }
        row.classList.add('scanned');
        var first = row.querySelector('select'); if (first) { first.focus(); }
      } else {
        var list = form.querySelector('textarea[name=tags]');
        list.value = (list.value ? list.value.replace(/\s*$/, '\n') : '') + tag;
      }
      say('已扫到 ' + tag);
    }
    function named(codes) {
      codes.forEach(function (c) { if (c.tag) { take(c.tag); } else { say('这个二维码不是本系统的资产标签，或您无权查看该资产'); } });
    }
    function ask(text) {  // a code the browser read: which asset it names
      return fetch('/api/assets/lookup?tag=' + encodeURIComponent(text), {credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (a) { return {text: text, tag: a ? a.tag : null}; });
    }
    function grab() {
      if (busy || !video.videoWidth) { return; }
      var w = Math.min(640, video.videoWidth), h = Math.round(video.videoHeight * w / video.videoWidth);
      canvas.width = w; canvas.height = h;
      ctx.drawImage(video, 0, 0, w, h);
      busy = true;
      var done = function () { busy = false; };
      if (detector) {
        detector.detect(canvas).then(function (found) {
          return Promise.all(found.map(function (f) { return ask(f.rawValue); }));
        }).then(named).then(done, function () { detector = null; done(); });  // it failed: the server reads instead
        return;
      }
      var rgba = ctx.getImageData(0, 0, w, h).data, grey = new Uint8Array(w * h);
      for (var i = 0, j = 0; i < grey.length; i += 1, j += 4) {
        grey[i] = (rgba[j] * 299 + rgba[j + 1] * 587 + rgba[j + 2] * 114) / 1000;
      }
      fetch('/api/scan?w=' + w + '&h=' + h, {method: 'POST', body: grey, credentials: 'same-origin',
        headers: {'Content-Type': 'application/octet-stream', 'X-CSRF-Token': token ? token.value : ''}})
        .then(function (r) { return r.ok ? r.json() : {codes: []}; })
        .then(function (data) { named(data.codes); }).then(done, done);
    }
    function stop() {
      clearInterval(timer); timer = null;
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.hidden = true; toggle.textContent = '用摄像头扫码';
    }
    toggle.addEventListener('click', function () {
      if (stream) { stop(); say(''); return; }
      navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}, audio: false}).then(function (s) {
        stream = s; video.srcObject = s; video.hidden = false; video.play();
        toggle.textContent = '停止扫码'; say('对准资产标签上的二维码');
        timer = setInterval(grab, 300);
      }, function () { say('无法打开摄像头：请允许本网站使用摄像头，或直接输入标签'); });
    });
  });

  // Suggestions as you type in the pool's search box.
  var q = document.getElementById('q'), list = document.getElementById('suggestions'), timer;
  if (q && list) {
    q.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!q.value.trim()) { list.innerHTML = ''; return; }
        fetch('/api/suggest?q=' + encodeURIComponent(q.value), {credentials: 'same-origin'})
          .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
          .then(function (data) {
            list.innerHTML = '';
            data.suggestions.forEach(function (s) {
              var o = document.createElement('option'); o.value = s; list.appendChild(o);
            });
          });
      }, 150);
    });
  }
})();
