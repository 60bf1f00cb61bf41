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
