#!/usr/bin/python3
"""make_tables.py - the tables under tests/data/tables/, written the way people export
scikit-learn's bundled tables with pandas (no pandas needed: its writer's defaults are
spelled out below), and, with --measure DIR, full train/test splits of the same tables
with scikit-learn baselines for the accuracy note.

The committed tests never run this; it is kept so that the fixtures can be made again.

    /usr/bin/python3 tests/data/make_tables.py                # rewrites tests/data/tables/
    /usr/bin/python3 tests/data/make_tables.py --measure DIR  # DIR/*_train.csv, *_test.csv,
                                                              # DIR/baselines.txt
"""
import os
import sys

import numpy as np
from sklearn import datasets

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tables")


def cell(v, decimal="."):
    """A cell as pandas writes it: floats as repr (5.1, 127.0), the rest as str."""
    if isinstance(v, (float, np.floating)):
        s = repr(float(v))
        return s.replace(".", decimal) if decimal != "." else s
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    s = str(v)
    if any(c in s for c in ',;"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def write(path, header, rows, sep=",", decimal=".", index=False, eol="\n", bom=False,
          trailing=False, blank_after=()):
    """pandas' DataFrame.to_csv(path, sep, decimal, index, lineterminator, encoding), plus
    what other exporters add: a delimiter ending every line, blank lines."""
    lines = []
    head = ([""] if index else []) + [cell(h) for h in header]
    lines.append(sep.join(head) + (sep if trailing else ""))
    for i, row in enumerate(rows):
        cells = ([str(i)] if index else []) + [cell(v, decimal) for v in row]
        lines.append(sep.join(cells) + (sep if trailing else ""))
        if i in blank_after:
            lines.append("")
    text = eol.join(lines) + eol
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        f.write(text)


def table(bunch, labels=None):
    """Rows of floats and a label (the class name, or the number itself)."""
    y = bunch.target
    names = labels if labels is not None else (
        [bunch.target_names[k] for k in y] if hasattr(bunch, "target_names") and
        len(getattr(bunch, "target_names", [])) else list(y))
    return [list(map(float, x)) + [lab] for x, lab in zip(bunch.data, names)]


def houses(n, seed):
    """House prices around 300,000 (std about 40,000), linear in four features plus noise."""
    rng = np.random.RandomState(seed)
    sqft = rng.uniform(800, 3000, n).round(0)
    beds = rng.randint(1, 6, n)
    age = rng.uniform(0, 60, n).round(1)
    dist = rng.uniform(0.5, 25, n).round(2)
    price = 30000 + 110 * sqft + 9000 * beds - 700 * age - 2500 * dist + rng.normal(0, 12000, n)
    rows = [[float(a), int(b), float(c), float(d), float(round(p, 2))]
            for a, b, c, d, p in zip(sqft, beds, age, dist, price)]
    return ["sqft", "bedrooms", "age", "distance_km", "price"], rows


def stratified(rows, per_class, key=-1):
    out, seen = [], {}
    for r in rows:
        if seen.get(r[key], 0) < per_class:
            seen[r[key]] = seen.get(r[key], 0) + 1
            out.append(r)
    return out


WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def fixtures():
    os.makedirs(HERE, exist_ok=True)
    iris = datasets.load_iris()
    wine = datasets.load_wine()
    cancer = datasets.load_breast_cancer()
    digits = datasets.load_digits()
    irows = table(iris)
    # df = pd.DataFrame(iris.data, columns=iris.feature_names); df["species"] = ...;
    # df.to_csv(path): the index first, under an empty header cell
    write(os.path.join(HERE, "iris_index.csv"), iris.feature_names + ["species"], irows,
          index=True)
    # wine with an id column first, rows sorted by class (as load_wine gives them), CRLF
    wrows = table(wine)
    write(os.path.join(HERE, "wine_id.csv"), ["id"] + wine.feature_names + ["cultivar"],
          [[i + 1] + r for i, r in enumerate(wrows)], eol="\r\n")
    # df.to_csv(path, sep=";", decimal=",", index=False): a European spreadsheet's export
    write(os.path.join(HERE, "wine_european.csv"), wine.feature_names + ["cultivar"], wrows,
          sep=";", decimal=",")
    # pd.DataFrame(X).assign(label=...).to_csv(path, index=False): columns named 0..63
    drows = table(digits, [WORDS[k] for k in digits.target])[:120]
    write(os.path.join(HERE, "digits_numbered.csv"), list(range(64)) + ["label"], drows)
    # a UTF-8 byte order mark and CRLF (Excel's "CSV UTF-8"), string labels
    crows = stratified(table(cancer), 40)
    write(os.path.join(HERE, "cancer_bom.csv"), list(cancer.feature_names) + ["diagnosis"],
          crows, eol="\r\n", bom=True)
    # a delimiter ending every line and blank lines in the data
    write(os.path.join(HERE, "iris_trailing.csv"), iris.feature_names + ["species"],
          stratified(irows, 10), trailing=True, blank_after=(9, 19))
    header, hrows = houses(200, 7)
    write(os.path.join(HERE, "houses.csv"), header, hrows)
    d = datasets.load_diabetes(scaled=False)
    write(os.path.join(HERE, "diabetes.csv"), d.feature_names + ["progression"],
          [list(map(float, x)) + [float(t)] for x, t in zip(d.data, d.target)])


def measure(out):
    """Full tables split 80/20 (seeded, stratified for classes), and scikit-learn's scores
    on the same split."""
    from sklearn.model_selection import train_test_split
    from sklearn.linear_model import LogisticRegression, LinearRegression
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler
    from sklearn.pipeline import make_pipeline
    os.makedirs(out, exist_ok=True)
    lines = []
    header_h, rows_h = houses(2000, 11)
    sets = [
        ("iris", datasets.load_iris(), dict(index=True), None),
        ("wine_id", datasets.load_wine(), dict(eol="\r\n"), "id"),
        ("cancer", datasets.load_breast_cancer(), dict(eol="\r\n", bom=True), None),
        ("digits", datasets.load_digits(), dict(), "numbered"),
        ("wine_european", datasets.load_wine(), dict(sep=";", decimal=","), None),
        ("diabetes", datasets.load_diabetes(scaled=False), dict(), "regress"),
        ("houses", None, dict(), "regress"),
    ]
    for name, b, style, kind in sets:
        if b is None:
            X = np.array([r[:-1] for r in rows_h], float)
            y = np.array([r[-1] for r in rows_h], float)
            feats = header_h[:-1]
        else:
            X, y = b.data, b.target
            feats = [str(f) for f in getattr(b, "feature_names", range(X.shape[1]))]
        regress = kind == "regress"
        if kind == "numbered":
            feats = [str(k) for k in range(X.shape[1])]
        strat = None if regress else y
        Xtr, Xte, ytr, yte, itr, ite = train_test_split(X, y, np.arange(len(y)), test_size=0.2,
                                                        random_state=0, stratify=strat)
        for split, XX, yy, ii in (("train", Xtr, ytr, itr), ("test", Xte, yte, ite)):
            if regress:
                labels = [float(v) for v in yy]
            elif kind == "numbered":
                labels = [int(v) for v in yy]
            else:
                labels = [str(b.target_names[v]) for v in yy]
            head = feats + ["target"]
            rows = [list(map(float, x)) + [lab] for x, lab in zip(XX, labels)]
            if kind == "id":
                head = ["id"] + head
                rows = [[int(i) + 1] + r for i, r in zip(ii, rows)]
            write(os.path.join(out, "%s_%s.csv" % (name, split)), head, rows, **style)
        if regress:
            for mname, model in (("LinearRegression", LinearRegression()),
                                 ("MLPRegressor(16,16)", make_pipeline(
                                     StandardScaler(), MLPRegressor((16, 16), max_iter=2000,
                                                                    random_state=0)))):
                model.fit(Xtr, ytr)
                p = model.predict(Xte)
                rmse = float(np.sqrt(np.mean((p - yte) ** 2)))
                mae = float(np.mean(np.abs(p - yte)))
                lines.append("%s %s rmse %.6g mae %.6g" % (name, mname, rmse, mae))
        else:
            for mname, model in (("LogisticRegression", make_pipeline(
                    StandardScaler(), LogisticRegression(max_iter=5000))),
                                 ("MLPClassifier(16,16)", make_pipeline(
                                     StandardScaler(), MLPClassifier((16, 16), max_iter=2000,
                                                                     random_state=0)))):
                model.fit(Xtr, ytr)
                lines.append("%s %s accuracy %.4f" % (name, mname, model.score(Xte, yte)))
    with open(os.path.join(out, "baselines.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
    else:
        fixtures()
