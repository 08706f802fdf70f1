# Which table or index each WAL frame belongs to, per transaction, from a snapshot of a running server's metadata
# database: stop the server (kill -STOP), copy metadata.db and metadata.db-wal from its --data folder, continue it
# (kill -CONT); then: python3 wal-pages.py <copy>/metadata.db. Reads the WAL's frames from its start while their salts
# match the header (the frames since it last started over), groups them by commit frame, and names each page from
# SQLite's dbstat table (a copy of the snapshot is opened for that). docs/performance/server-history.md, round 12:
# which b-trees a commit writes.
import sqlite3, struct, sys, collections, shutil, os
db = sys.argv[1]; wal = db + "-wal"
data = open(wal, "rb").read()
magic, ver, psz, ckseq, salt1, salt2, c1, c2 = struct.unpack(">IIIIIIII", data[:32])
frames = []; off = 32
while off + 24 + psz <= len(data):
    pg, dbsz, s1, s2, k1, k2 = struct.unpack(">IIIIII", data[off:off+24])
    if (s1, s2) != (salt1, salt2): break
    frames.append((pg, dbsz)); off += 24 + psz
# page -> btree name from the snapshot read through its WAL
tmp = "/tmp/walpages-copy.db"; shutil.copy(db, tmp); shutil.copy(wal, tmp + "-wal")
c = sqlite3.connect(tmp)
owner = {pg: name for name, pg in c.execute("SELECT name, pageno FROM dbstat")}
txs = []; cur = []
for pg, dbsz in frames:
    cur.append(pg)
    if dbsz: txs.append(cur); cur = []
print(f"{len(frames)} frames, {len(txs)} transactions, {len(frames)/max(1,len(txs)):.1f} frames/tx; distinct pages {len(set(p for p,_ in frames))}")
per = collections.Counter(); distinct = collections.defaultdict(set)
for t in txs:
    for p in t: per[owner.get(p, "?")] += 1; distinct[owner.get(p, "?")].add(p)
for name, n in per.most_common(): print(f"  {name:40s} frames {n:5d} ({n/len(txs):.1f}/tx) distinct pages {len(distinct[name])}")
