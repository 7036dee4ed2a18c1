# Compare two ARPA files n-gram by n-gram: the same sets per order, and every
# log10 probability and backoff within tol (awk -v tol=2e-5 -F'\t' -f arpa_diff.awk
# REFERENCE.arpa OTHER.arpa). The <s> unigram probability is reported apart and
# not compared (lmplz writes 0, lmprob train -99: <s> is never predicted).
# Prints a table per order; exits 1 on a mismatch. Used by tests/kenlm_compare.sh
# and tests/kenlm_filter_compare.sh.
  function section(line) { if (line ~ /^\\[0-9]+-grams:$/) { sub(/^\\/, "", line); sub(/-grams:$/, "", line); return line + 0 } return -1 }
  FNR == 1 { file++; ord = 0 }
  /^ngram [0-9]+=/ { split($0, a, /[ =]/); cnt[file, a[2]] = a[3]; if (a[2] > maxo) maxo = a[2]; next }
  { s = section($0); if (s >= 0) { ord = s; next } }
  ord == 0 || $0 == "" || $0 == "\\end\\" { next }
  file == 1 { kp[ord SUBSEP $2] = $1; kb[ord SUBSEP $2] = (NF >= 3 ? $3 : 0); nk[ord]++; next }
  {
    key = ord SUBSEP $2
    if (!(key in kp)) { extra[ord]++; next }
    seen[ord]++
    if (ord == 1 && $2 == "<s>") { sprob = $1 " (lmprob) vs " kp[key] " (lmplz)"; delete kp[key]; bo = (NF >= 3 ? $3 : 0); d = bo - kb[key]; if (d < 0) d = -d; if (d > mb[ord]) mb[ord] = d; delete kb[key]; next }
    d = $1 - kp[key]; if (d < 0) d = -d; if (d > mp[ord]) mp[ord] = d
    bo = (NF >= 3 ? $3 : 0); d = bo - kb[key]; if (d < 0) d = -d; if (d > mb[ord]) mb[ord] = d
    delete kp[key]; delete kb[key]
  }
  END {
    bad = 0
    printf "%-6s %12s %12s %8s %8s %14s %14s\n", "order", "lmplz", "lmprob", "missing", "extra", "max|dlog10p|", "max|dlog10bo|"
    for (o = 1; o <= maxo; o++) {
      miss = 0; for (k in kp) { split(k, z, SUBSEP); if (z[1] == o) miss++ }
      printf "%-6d %12d %12d %8d %8d %14.3g %14.3g\n", o, cnt[1, o], cnt[2, o], miss, extra[o] + 0, mp[o] + 0, mb[o] + 0
      if (cnt[1, o] != cnt[2, o] || miss || extra[o] || mp[o] > tol || mb[o] > tol) bad = 1
      if (mp[o] > allp) allp = mp[o]; if (mb[o] > allb) allb = mb[o]
    }
    printf "<s> unigram: %s (not compared)\n", sprob
    printf "max |dlog10 p| = %.3g, max |dlog10 backoff| = %.3g: %s\n", allp, allb, bad ? "MISMATCH" : "OK"
    exit bad
  }
