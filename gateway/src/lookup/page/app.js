// The parents' lookup page: no framework, no build step; every value is written with textContent.
(function () {
  'use strict';

  var T = {
    zh: {
      title: '积分入学查询', tabLookup: '申请查询', tabResident: '居民积分', langSwitch: 'English',
      lookupIntro: '输入申请号和子女身份证号码后6位，查看积分、排名和录取结果。',
      applicationNo: '申请号', idLast6: '子女身份证号码后6位', search: '查询', searching: '查询中…',
      tokenIntro: '粘贴居民令牌，查看文明积分卡、各本存折和志愿服务时长。', token: '居民令牌', show: '查看', loading: '加载中…',
      footer: '姓名和证件号码已按规定脱敏显示。',
      needBoth: '请填写申请号和身份证号码后6位。', badLast6: '身份证号码后6位应为6个字符（数字，最后一位可为X）。',
      notFound: '未找到与申请号和身份证号码后6位相符的申请，请核对后重试。',
      rateLimited: '查询过于频繁，请稍后再试。', failed: '查询失败，请稍后再试。', needToken: '请粘贴居民令牌。',
      badToken: '令牌无效或已过期，请重新获取。',
      application: '申请', child: '子女', parent: '计分家长', year: '入学年份', grade: '年级', town: '镇街', submitted: '提交时间', status: '状态',
      total: '总积分', rank: '排名', pool: '共 {n} 人', placement: '录取学校', cutoff: '录取分数线', none: '—', notRanked: '未排名', notPlaced: '未录取',
      preferences: '志愿学校', lines: '积分明细', claimed: '申报', verified: '核定', source: '核定来源', capped: '已封顶',
      scheme: '积分方案 {code} 第 {v} 版',
      run: '排名批次', runStatus: '批次状态', completed: '完成时间', publicity: '公示期', seed: '摇号种子',
      recheck: '申请复核', recheckOpen: '公示期内（截至 {until}）可对任一积分项申请复核：在本页“居民积分”中用居民令牌登录后提交，或携申请号到所在镇街教育部门提出。复核结果在最终名单公布前答复。',
      recheckClosed: '复核申请仅在公示期内受理。本批次公示期：{period}。如有疑问，请携申请号联系所在镇街教育部门。',
      recheckNotYet: '排名公示后可申请复核，公示期将在本页显示。',
      recheckList: '已提交的复核', answered: '已答复', waiting: '待答复',
      civicCard: '文明积分卡', cardNo: '卡号', balance: '余额', passbooks: '存折', kind: '存折', earned: '累计获得', spent: '累计使用',
      records: '近期记录', volunteer: '志愿服务', hours: '服务时长（小时）', points: '积分', stars: '星级', notVolunteer: '尚未注册为志愿者。',
      myApplications: '我的入学申请', privileges: '优待', noCard: '暂无文明积分卡。',
      askRecheck: '申请复核', recheckLine: '积分项', recheckReason: '理由', submitRecheck: '提交复核申请',
      recheckSent: '复核申请已提交，将在最终名单公布前答复。', recheckNeedReason: '请填写复核理由。',
      recheckInvalidState: '当前不在公示期，不能申请复核。', recheckConflict: '该项已有待答复的复核申请。',
      S: { SUBMITTED: '已提交', VERIFIED: '已核定', RANKED: '已排名', PUBLICISED: '公示中', ADMITTED: '已录取', WAITLISTED: '候补', REJECTED: '未通过', WITHDRAWN: '已撤回', DISQUALIFIED: '已取消资格', ELIGIBLE: '符合条件', INELIGIBLE: '不符合条件', CLAIMED: '待核定', QUEUED: '排队中', RUNNING: '进行中', COMPLETED: '已完成', FAILED: '失败', APPROVED: '已通过', REGISTERED: '已登记', VILLAGE_REVIEWED: '村已审查', OBJECTED: '有异议' },
      G: { PRIMARY_1: '小学一年级', JUNIOR_1: '初中一年级' },
      P: { CIVIC: '文明积分', RED: '红色存折', GREEN: '绿色存折' },
      SRC: { officer: '核定人员', volunteering: '志愿服务记录' },
    },
    en: {
      title: 'School admission by points', tabLookup: 'Application', tabResident: 'My points', langSwitch: '中文',
      lookupIntro: 'Enter the application number and the last 6 characters of your child’s ID number to see points, rank and placement.',
      applicationNo: 'Application number', idLast6: 'Last 6 characters of the child’s ID number', search: 'Look up', searching: 'Looking up…',
      tokenIntro: 'Paste your resident token to see your civic card, passbooks and volunteer hours.', token: 'Resident token', show: 'Show', loading: 'Loading…',
      footer: 'Names and ID numbers are shown masked.',
      needBoth: 'Please enter the application number and the last 6 characters of the ID number.', badLast6: 'The last 6 characters are digits; the very last may be X.',
      notFound: 'No application matches this number and these 6 characters. Please check them and try again.',
      rateLimited: 'Too many lookups. Please try again later.', failed: 'The lookup failed. Please try again later.', needToken: 'Please paste your resident token.',
      badToken: 'The token is invalid or has expired. Please get a new one.',
      application: 'Application', child: 'Child', parent: 'Scoring parent', year: 'School year', grade: 'Grade', town: 'Town', submitted: 'Submitted', status: 'Status',
      total: 'Total points', rank: 'Rank', pool: 'of {n}', placement: 'School placed in', cutoff: 'Cut-off', none: '—', notRanked: 'not ranked', notPlaced: 'not placed',
      preferences: 'Schools asked for', lines: 'Points line by line', claimed: 'claimed', verified: 'verified', source: 'verified by', capped: 'capped',
      scheme: 'Scheme {code}, version {v}',
      run: 'Ranking run', runStatus: 'Run status', completed: 'Completed', publicity: 'Publicity', seed: 'Lottery seed',
      recheck: 'Asking for a re-check', recheckOpen: 'Until {until} (the publicity period) you may ask for any line to be checked again: sign in with your resident token under “My points”, or bring the application number to your town’s education office. Every re-check is answered before the final list.',
      recheckClosed: 'Re-checks are taken during the publicity period only. This run’s publicity: {period}. With questions, contact your town’s education office with the application number.',
      recheckNotYet: 'Once the ranked list is made public you may ask for a re-check; the dates will appear here.',
      recheckList: 'Re-checks asked for', answered: 'answered', waiting: 'waiting for an answer',
      civicCard: 'Civic card', cardNo: 'Card number', balance: 'Balance', passbooks: 'Passbooks', kind: 'Passbook', earned: 'Earned', spent: 'Spent',
      records: 'Recent records', volunteer: 'Volunteering', hours: 'Hours', points: 'Points', stars: 'Stars', notVolunteer: 'Not registered as a volunteer.',
      myApplications: 'My school applications', privileges: 'Privileges', noCard: 'No civic card yet.',
      askRecheck: 'Ask for a re-check', recheckLine: 'Line', recheckReason: 'Reason', submitRecheck: 'Send the request',
      recheckSent: 'Your request is in; it is answered before the final list.', recheckNeedReason: 'Please give a reason.',
      recheckInvalidState: 'Re-checks are taken during the publicity period only.', recheckConflict: 'This line already has a re-check waiting for an answer.',
      S: { SUBMITTED: 'Submitted', VERIFIED: 'Verified', RANKED: 'Ranked', PUBLICISED: 'Publicised', ADMITTED: 'Admitted', WAITLISTED: 'Waitlisted', REJECTED: 'Rejected', WITHDRAWN: 'Withdrawn', DISQUALIFIED: 'Disqualified', ELIGIBLE: 'Eligible', INELIGIBLE: 'Ineligible', CLAIMED: 'Claimed', QUEUED: 'Queued', RUNNING: 'Running', COMPLETED: 'Completed', FAILED: 'Failed', APPROVED: 'Approved', REGISTERED: 'Registered', VILLAGE_REVIEWED: 'Village reviewed', OBJECTED: 'Objected' },
      G: { PRIMARY_1: 'Primary, grade 1', JUNIOR_1: 'Junior middle, grade 1' },
      P: { CIVIC: 'Civic', RED: 'Red', GREEN: 'Green' },
      SRC: { officer: 'an officer', volunteering: 'volunteering records' },
    },
  };

  var LOOKUP = 'query AdmissionLookup($no: ID!, $last6: String!) { admissionLookup(applicationNo: $no, idNumberLast6: $last6) {' +
    ' applicationNo year grade town { code name } parentNameMasked childNameMasked status submittedAt total schemeCode schemeVersion' +
    ' lines { code label claimed verified status points capped source } preferences { name } rank poolSize placement { name } cutoff' +
    ' run { status completedAt publicisedOn publicityUntil seed } recheckOpen rechecks { code requestedAt answeredAt answerStatus } } }';
  var RESIDENT = 'query MyPoints { myCivicCard { cardNo balance privileges passbooks { kind balance lifetimeEarned lifetimeSpent }' +
    ' records(first: 10) { nodes { item { label } points status occurredOn } } }' +
    ' myVolunteerProfile { registered hours points stars } mySchoolApplications { applicationNo status rank poolSize placement { name } points { lines { code label claimed verified } } } }';
  var RECHECK = 'mutation RequestRecheck($no: ID!, $code: String!, $reason: String!) { requestRecheck(applicationNo: $no, code: $code, reason: $reason) { applicationNo } }';

  var params = new URLSearchParams(location.search);
  var lang = params.get('lang') === 'en' || (params.get('lang') !== 'zh' && safeGet('lookup.lang') === 'en') ? 'en' : 'zh';
  var token = params.get('token') || '';
  var last = { lookup: null, resident: null };

  function safeGet(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }
  function safeSet(k, v) { try { localStorage.setItem(k, v); } catch (e) { /* private mode */ } }
  function $(id) { return document.getElementById(id); }
  function t(key, vars) {
    var s = T[lang][key];
    if (s == null) return key;
    return String(s).replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] != null ? vars[k] : ''; });
  }
  function word(group, key) { return (T[lang][group] && T[lang][group][key]) || key; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function num(n) { return n == null ? t('none') : (Math.round(n * 100) / 100).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB'); }
  function date(iso) { return iso ? String(iso).slice(0, 10) : t('none'); }
  function badge(code) { return el('span', 'badge ' + code, word('S', code)); }
  function facts(pairs) {
    var dl = el('dl', 'facts');
    pairs.forEach(function (p) {
      dl.appendChild(el('dt', null, p[0]));
      var dd = el('dd');
      if (p[1] instanceof Node) dd.appendChild(p[1]); else dd.textContent = p[1] == null ? t('none') : String(p[1]);
      dl.appendChild(dd);
    });
    return dl;
  }
  function figure(k, v, small) {
    var f = el('div', 'figure');
    f.appendChild(el('div', 'k', k));
    var vv = el('div', 'v', v);
    if (small) { vv.appendChild(document.createTextNode(' ')); vv.appendChild(el('small', null, small)); }
    f.appendChild(vv);
    return f;
  }
  function card(title) {
    var c = el('section', 'card');
    if (title) c.appendChild(el('h2', null, title));
    return c;
  }

  async function graphql(query, variables, bearer) {
    var headers = { 'content-type': 'application/json' };
    if (bearer) headers.authorization = 'Bearer ' + bearer;
    var res = await fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables }) });
    var body;
    try { body = await res.json(); } catch (e) { body = { errors: [{ extensions: { code: 'HTTP_' + res.status } }] }; }
    return body;
  }
  function codeOf(body) { return body && body.errors && body.errors[0] && body.errors[0].extensions ? body.errors[0].extensions.code : null; }

  function applyLanguage() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title') + ' · citypoints';
    document.querySelectorAll('[data-t]').forEach(function (n) { n.textContent = t(n.getAttribute('data-t')); });
    $('lang').textContent = t('langSwitch');
    $('lang').setAttribute('aria-label', t('langSwitch'));
    if (last.lookup) renderLookup(last.lookup);
    if (last.resident) renderResident(last.resident);
  }

  function showTab(which) {
    var lookup = which === 'lookup';
    $('view-lookup').hidden = !lookup;
    $('view-resident').hidden = lookup;
    $('tab-lookup').setAttribute('aria-selected', String(lookup));
    $('tab-resident').setAttribute('aria-selected', String(!lookup));
  }

  function renderLookup(a) {
    var out = $('lookup-result');
    out.textContent = '';
    out.hidden = false;

    var head = card(t('application') + ' ' + a.applicationNo);
    head.id = 'lookup-application';
    head.appendChild(facts([
      [t('status'), badge(a.status)],
      [t('child'), a.childNameMasked],
      [t('parent'), a.parentNameMasked],
      [t('year'), a.year],
      [t('grade'), word('G', a.grade)],
      [t('town'), a.town && a.town.name ? a.town.name : a.town.code],
      [t('submitted'), date(a.submittedAt)],
      [t('preferences'), a.preferences.map(function (s, i) { return (i + 1) + '. ' + s.name; }).join('  ')],
    ]));
    out.appendChild(head);

    var sum = card();
    sum.id = 'lookup-summary';
    var grid = el('div', 'summary');
    grid.appendChild(figure(t('total'), num(a.total)));
    grid.appendChild(figure(t('rank'), a.rank == null ? t('notRanked') : String(a.rank), a.poolSize == null ? '' : t('pool', { n: a.poolSize })));
    grid.appendChild(figure(t('placement'), a.placement ? a.placement.name : (a.rank == null ? t('none') : t('notPlaced'))));
    grid.appendChild(figure(t('cutoff'), a.cutoff == null ? t('none') : num(a.cutoff)));
    sum.appendChild(grid);
    out.appendChild(sum);

    var lines = card(t('lines'));
    lines.id = 'lookup-lines';
    lines.appendChild(el('p', 'hint', t('scheme', { code: a.schemeCode, v: a.schemeVersion })));
    var ul = el('ul', 'lines');
    a.lines.filter(function (l) { return l.claimed != null || l.verified != null || l.points !== 0; }).forEach(function (l) {
      var li = el('li');
      li.setAttribute('data-code', l.code);
      var label = el('span', 'label', l.label);
      if (lang === 'en') label.appendChild(el('small', null, ' · ' + l.code));
      li.appendChild(label);
      var detail = el('span', 'detail');
      detail.appendChild(badge(l.status));
      var parts = [t('claimed') + ': ' + (l.claimed == null ? t('none') : l.claimed)];
      if (l.verified != null) parts.push(t('verified') + ': ' + l.verified);
      if (l.source) parts.push(t('source') + ': ' + word('SRC', l.source));
      if (l.capped) parts.push(t('capped'));
      detail.appendChild(document.createTextNode(' ' + parts.join(' · ')));
      li.appendChild(detail);
      li.appendChild(el('span', 'pts' + (l.points < 0 ? ' negative' : ''), num(l.points)));
      ul.appendChild(li);
    });
    lines.appendChild(ul);
    out.appendChild(lines);

    var run = card(t('run'));
    run.id = 'lookup-run';
    if (a.run) {
      run.appendChild(facts([
        [t('runStatus'), badge(a.run.status)],
        [t('completed'), date(a.run.completedAt)],
        [t('publicity'), a.run.publicisedOn ? a.run.publicisedOn + ' – ' + a.run.publicityUntil : t('none')],
        [t('seed'), a.run.seed],
      ]));
    } else run.appendChild(el('p', 'hint', t('recheckNotYet')));
    out.appendChild(run);

    var re = card(t('recheck'));
    re.id = 'lookup-recheck';
    re.className += ' recheck';
    if (a.recheckOpen) re.appendChild(el('p', null, t('recheckOpen', { until: a.run.publicityUntil })));
    else if (a.run && a.run.publicisedOn) re.appendChild(el('p', null, t('recheckClosed', { period: a.run.publicisedOn + ' – ' + a.run.publicityUntil })));
    else re.appendChild(el('p', null, t('recheckNotYet')));
    if (a.rechecks.length) {
      re.appendChild(el('p', 'hint', t('recheckList')));
      var rl = el('ul', 'lines');
      a.rechecks.forEach(function (r) {
        var li = el('li');
        li.appendChild(el('span', 'label', r.code));
        li.appendChild(el('span', 'pts', r.answeredAt ? t('answered') : t('waiting')));
        li.appendChild(el('span', 'detail', date(r.requestedAt) + (r.answerStatus ? ' · ' + word('S', r.answerStatus) : '')));
        rl.appendChild(li);
      });
      re.appendChild(rl);
    }
    out.appendChild(re);
  }

  function renderResident(d) {
    var out = $('resident-result');
    out.textContent = '';
    out.hidden = false;

    var c = card(t('civicCard'));
    c.id = 'resident-card';
    if (d.myCivicCard) {
      var k = d.myCivicCard;
      c.appendChild(facts([[t('cardNo'), k.cardNo], [t('balance'), num(k.balance)], [t('privileges'), k.privileges.length ? k.privileges.join(', ') : t('none')]]));
      var tbl = el('table');
      var hr = el('tr');
      [t('kind'), t('balance'), t('earned'), t('spent')].forEach(function (h, i) { hr.appendChild(el('th', i ? 'num' : null, h)); });
      tbl.appendChild(hr);
      k.passbooks.forEach(function (p) {
        var tr = el('tr');
        tr.appendChild(el('td', null, word('P', p.kind)));
        tr.appendChild(el('td', 'num', num(p.balance)));
        tr.appendChild(el('td', 'num', num(p.lifetimeEarned)));
        tr.appendChild(el('td', 'num', num(p.lifetimeSpent)));
        tbl.appendChild(tr);
      });
      c.appendChild(el('p', 'hint', t('passbooks')));
      c.appendChild(tbl);
      if (k.records.nodes.length) {
        c.appendChild(el('p', 'hint', t('records')));
        var ul = el('ul', 'lines');
        k.records.nodes.forEach(function (r) {
          var li = el('li');
          li.appendChild(el('span', 'label', r.item.label));
          li.appendChild(el('span', 'pts' + (r.points < 0 ? ' negative' : ''), num(r.points)));
          var det = el('span', 'detail', date(r.occurredOn) + ' ');
          det.appendChild(badge(r.status));
          li.appendChild(det);
          ul.appendChild(li);
        });
        c.appendChild(ul);
      }
    } else c.appendChild(el('p', 'hint', t('noCard')));
    out.appendChild(c);

    var v = card(t('volunteer'));
    v.id = 'resident-volunteer';
    var p = d.myVolunteerProfile;
    if (p && p.registered) {
      var g = el('div', 'summary');
      g.appendChild(figure(t('hours'), num(p.hours)));
      g.appendChild(figure(t('points'), num(p.points)));
      g.appendChild(figure(t('stars'), '★'.repeat(p.stars) || '0'));
      v.appendChild(g);
    } else v.appendChild(el('p', 'hint', t('notVolunteer')));
    out.appendChild(v);

    if (d.mySchoolApplications && d.mySchoolApplications.length) {
      var s = card(t('myApplications'));
      s.id = 'resident-applications';
      var ul2 = el('ul', 'lines');
      d.mySchoolApplications.forEach(function (a) {
        var li = el('li');
        li.appendChild(el('span', 'label', a.applicationNo));
        li.appendChild(el('span', 'pts', a.rank == null ? t('notRanked') : a.rank + ' / ' + a.poolSize));
        var det = el('span', 'detail');
        det.appendChild(badge(a.status));
        if (a.placement) det.appendChild(document.createTextNode(' ' + a.placement.name));
        li.appendChild(det);
        li.appendChild(recheckForm(a));
        ul2.appendChild(li);
      });
      s.appendChild(ul2);
      out.appendChild(s);
    }
  }

  /** the applicant asks, during publicity, for one line to be checked again */
  function recheckForm(a) {
    var f = el('form', 'recheck-form detail');
    f.setAttribute('data-application', a.applicationNo);
    f.noValidate = true;
    f.appendChild(el('label', null, t('recheckLine')));
    var select = el('select');
    select.name = 'code';
    (a.points ? a.points.lines : []).filter(function (l) { return l.claimed != null || l.verified != null; }).forEach(function (l) {
      var o = el('option', null, l.label + (lang === 'en' ? ' · ' + l.code : ''));
      o.value = l.code;
      select.appendChild(o);
    });
    f.appendChild(select);
    f.appendChild(el('label', null, t('recheckReason')));
    var reason = el('input');
    reason.name = 'reason';
    reason.maxLength = 500;
    f.appendChild(reason);
    var button = el('button', null, t('submitRecheck'));
    button.type = 'submit';
    f.appendChild(button);
    var msg = el('p', 'message');
    msg.setAttribute('role', 'status');
    f.appendChild(msg);
    f.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      msg.textContent = '';
      if (!reason.value.trim()) { msg.textContent = t('recheckNeedReason'); return; }
      button.disabled = true;
      try {
        var body = await graphql(RECHECK, { no: a.applicationNo, code: select.value, reason: reason.value.trim() }, $('token').value.trim());
        var code = codeOf(body);
        if (!code) { msg.textContent = t('recheckSent'); reason.value = ''; }
        else if (code === 'INVALID_STATE') msg.textContent = t('recheckInvalidState');
        else if (code === 'CONFLICT') msg.textContent = t('recheckConflict');
        else if (code === 'BAD_USER_INPUT') msg.textContent = t('recheckNeedReason');
        else msg.textContent = t('failed');
      } catch (e) {
        msg.textContent = t('failed');
      } finally {
        button.disabled = false;
      }
    });
    return f;
  }

  async function onLookup(ev) {
    ev.preventDefault();
    var msg = $('lookup-message');
    var no = $('applicationNo').value.trim().toUpperCase();
    var last6 = $('idNumberLast6').value.trim().toUpperCase();
    msg.textContent = '';
    if (!no || !last6) { msg.textContent = t('needBoth'); return; }
    if (!/^[0-9]{5}[0-9X]$/.test(last6)) { msg.textContent = t('badLast6'); return; }
    var button = $('lookup-submit');
    button.disabled = true;
    button.textContent = t('searching');
    try {
      var body = await graphql(LOOKUP, { no: no, last6: last6 });
      var code = codeOf(body);
      last.lookup = null;
      $('lookup-result').hidden = true;
      if (code === 'RATE_LIMITED') msg.textContent = t('rateLimited');
      else if (code === 'BAD_USER_INPUT') msg.textContent = t('badLast6');
      else if (code) msg.textContent = t('failed');
      else if (!body.data || !body.data.admissionLookup) msg.textContent = t('notFound');
      else { last.lookup = body.data.admissionLookup; renderLookup(last.lookup); }
    } catch (e) {
      msg.textContent = t('failed');
    } finally {
      button.disabled = false;
      button.textContent = t('search');
    }
  }

  async function onResident(ev) {
    if (ev) ev.preventDefault();
    var msg = $('resident-message');
    var value = $('token').value.trim();
    msg.textContent = '';
    if (!value) { msg.textContent = t('needToken'); return; }
    var button = $('token-submit');
    button.disabled = true;
    button.textContent = t('loading');
    try {
      var body = await graphql(RESIDENT, {}, value);
      var code = codeOf(body);
      last.resident = null;
      $('resident-result').hidden = true;
      if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') msg.textContent = t('badToken');
      else if (code === 'RATE_LIMITED') msg.textContent = t('rateLimited');
      else if (!body.data) msg.textContent = t('failed');
      else { last.resident = body.data; renderResident(last.resident); if (code) msg.textContent = t('failed'); }
    } catch (e) {
      msg.textContent = t('failed');
    } finally {
      button.disabled = false;
      button.textContent = t('show');
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('lang').addEventListener('click', function () {
      lang = lang === 'zh' ? 'en' : 'zh';
      safeSet('lookup.lang', lang);
      applyLanguage();
    });
    $('tab-lookup').addEventListener('click', function () { showTab('lookup'); });
    $('tab-resident').addEventListener('click', function () { showTab('resident'); });
    $('lookup-form').addEventListener('submit', onLookup);
    $('token-form').addEventListener('submit', onResident);
    applyLanguage();
    if (token) {
      // keep the token out of the address bar, history and anything copied from it
      params.delete('token');
      history.replaceState(null, '', location.pathname + (params.toString() ? '?' + params : ''));
      $('token').value = token;
      showTab('resident');
      onResident();
    }
  });
})();
