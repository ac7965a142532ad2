#!/usr/bin/python3
"""A stand-in MongoDB server for the skynet.db.mongo tests, used because
Debian ships no mongod.  It speaks the wire protocol's OP_MSG (opcode 2013)
on a loopback port; the BSON codec is pymongo's (python3-bson) and the
storage and query semantics are mongomock's (python3-mongomock), so neither
the bytes nor the query results come from code we wrote.  What is ours is
the thin layer between them: the framing, the command table and SCRAM-SHA-1
(RFC 5802, server side).

  standin.py --port N [--user NAME --password PW] [--primary HOST:PORT]

--user turns on authentication: every command except the handshake and the
SASL ones needs a login.  --primary makes this server a replica-set
secondary that names HOST:PORT as its primary.

Replies to requests that arrive together (pipelined on one connection) are
written in reverse order, so a client must match them by responseTo.
"""
import argparse
import asyncio
import base64
import datetime
import hashlib
import hmac
import itertools
import os
import random
import struct
import sys

import bson
import mongomock
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

OP_MSG = 2013
CHECKSUM_PRESENT = 1
MORE_TO_COME = 2
MAX_MESSAGE = 48000000
DEFAULT_BATCH = 101
SCRAM_ITERATIONS = 10000
# subtype 4 stays subtype 4 (pymongo 3's default would rewrite UUIDs as 3)
CODEC = CodecOptions(document_class=dict, uuid_representation=UuidRepresentation.STANDARD)
NO_AUTH_NEEDED = {"hello", "ismaster", "saslstart", "saslcontinue", "ping", "buildinfo"}
# as mongod, other commands refuse a writeConcern
TAKES_WRITE_CONCERN = {"insert", "update", "delete", "findandmodify", "createindexes",
                       "dropindexes", "drop", "dropdatabase"}


class CommandError(Exception):
    def __init__(self, code, name, message):
        super().__init__(message)
        self.code, self.name = code, name


class Server:
    def __init__(self, args):
        self.store = mongomock.MongoClient()
        self.cursors = {}  # id -> [namespace, remaining documents]
        self.users = {}
        if args.user:
            self.users[args.user] = scram_credentials(args.user, args.password)
        self.address = "127.0.0.1:%d" % args.port
        self.primary = args.primary
        self.connections = itertools.count(1)
        self.reversed_once = False


def scram_credentials(user, password):
    """StoredKey and ServerKey of RFC 5802 for MongoDB's SCRAM-SHA-1, whose
    password is the hex MD5 of "user:mongo:password"."""
    salt = os.urandom(16)
    digest = hashlib.md5(("%s:mongo:%s" % (user, password)).encode()).hexdigest()
    salted = hashlib.pbkdf2_hmac("sha1", digest.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
    return {
        "salt": salt,
        "stored_key": hashlib.sha1(client_key).digest(),
        "server_key": hmac.new(salted, b"Server Key", hashlib.sha1).digest(),
    }


def scram_fields(message):
    fields = {}
    for part in message.split(","):
        if len(part) >= 2 and part[1] == "=":
            fields[part[0]] = part[2:]
    return fields


AUTH_FAILED = CommandError(18, "AuthenticationFailed", "Authentication failed.")


class Connection:
    def __init__(self, server):
        self.server = server
        self.id = next(server.connections)
        self.authenticated = not server.users
        self.sasl = None

    # ---------------------------------------------------------------- SASL

    def sasl_reply(self, payload, text, done):
        data = text.encode()
        return {
            "conversationId": 1,
            "done": done,
            # answer in the form asked: binary, or base64 text
            "payload": base64.b64encode(data).decode() if isinstance(payload, str) else data,
            "ok": 1,
        }

    @staticmethod
    def sasl_input(payload):
        if isinstance(payload, str):
            return base64.b64decode(payload).decode()
        return bytes(payload).decode()

    def cmd_saslstart(self, db, body):
        if body.get("mechanism") != "SCRAM-SHA-1":
            raise CommandError(2, "BadValue", "Unsupported mechanism %s" % body.get("mechanism"))
        message = self.sasl_input(body["payload"])
        if not message.startswith("n,,"):
            raise CommandError(17, "ProtocolError", "SCRAM: bad GS2 header")
        first_bare = message[3:]
        fields = scram_fields(first_bare)
        user = fields.get("n", "").replace("=2C", ",").replace("=3D", "=")
        creds = self.server.users.get(user)
        if creds is None or not fields.get("r"):
            raise AUTH_FAILED
        nonce = fields["r"] + base64.b64encode(os.urandom(18)).decode()
        server_first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(creds["salt"]).decode(), SCRAM_ITERATIONS)
        self.sasl = {"user": user, "creds": creds, "nonce": nonce, "first_bare": first_bare,
                     "server_first": server_first, "step": "proof"}
        return self.sasl_reply(body["payload"], server_first, False)

    def cmd_saslcontinue(self, db, body):
        sasl = self.sasl
        if sasl is None or body.get("conversationId") != 1:
            raise CommandError(17, "ProtocolError", "No SASL session state found")
        if sasl["step"] == "final":
            self.sasl = None
            return self.sasl_reply(body["payload"], "", True)
        message = self.sasl_input(body["payload"])
        without_proof, _, proof = message.rpartition(",p=")
        fields = scram_fields(without_proof)
        if fields.get("c") != "biws" or fields.get("r") != sasl["nonce"]:
            self.sasl = None
            raise AUTH_FAILED
        creds = sasl["creds"]
        auth_message = ",".join((sasl["first_bare"], sasl["server_first"], without_proof)).encode()
        signature = hmac.new(creds["stored_key"], auth_message, hashlib.sha1).digest()
        try:
            proof = base64.b64decode(proof, validate=True)
        except ValueError:
            proof = b""
        client_key = bytes(a ^ b for a, b in zip(proof, signature))
        if len(proof) != len(signature) or hashlib.sha1(client_key).digest() != creds["stored_key"]:
            self.sasl = None
            raise AUTH_FAILED
        self.authenticated = True
        sasl["step"] = "final"
        verifier = hmac.new(creds["server_key"], auth_message, hashlib.sha1).digest()
        return self.sasl_reply(body["payload"], "v=" + base64.b64encode(verifier).decode(), False)

    def cmd_logout(self, db, body):
        self.authenticated = not self.server.users
        return {"ok": 1}

    # ------------------------------------------------------------ handshake

    def hello(self, primary_field):
        server = self.server
        reply = {
            primary_field: server.primary is None,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": MAX_MESSAGE,
            "maxWriteBatchSize": 100000,
            "localTime": datetime.datetime.now(datetime.timezone.utc),
            "connectionId": self.id,
            "minWireVersion": 0,
            "maxWireVersion": 17,
            "readOnly": False,
            "ok": 1,
        }
        if server.primary:
            reply.update(secondary=True, setName="rs0", primary=server.primary, me=server.address,
                         hosts=[server.primary, server.address])
        return reply

    def cmd_hello(self, db, body):
        return self.hello("isWritablePrimary")

    def cmd_ismaster(self, db, body):
        return self.hello("ismaster")

    def cmd_ping(self, db, body):
        return {"ok": 1}

    def cmd_serverstatus(self, db, body):
        # the part the test reads: how many cursors are open
        return {"metrics": {"cursor": {"open": {"total": len(self.server.cursors)}}}, "ok": 1}

    def cmd_buildinfo(self, db, body):
        return {"version": "stand-in (mongomock %s)" % mongomock.__version__, "ok": 1}

    # -------------------------------------------------------------- cursors

    def cursor_reply(self, namespace, docs, batch_size, single_batch=False):
        batch_size = DEFAULT_BATCH if batch_size is None else batch_size
        first, rest = docs[:batch_size], docs[batch_size:]
        cursor_id = 0
        if rest and not single_batch:
            cursor_id = random.randrange(1, 2 ** 63)
            self.server.cursors[cursor_id] = [namespace, rest]
        return {"cursor": {"firstBatch": first, "id": bson.int64.Int64(cursor_id), "ns": namespace}, "ok": 1}

    def cmd_getmore(self, db, body):
        cursor_id = body["getMore"]
        namespace = "%s.%s" % (db.name, body.get("collection"))
        entry = self.server.cursors.get(cursor_id)
        if entry is None or entry[0] != namespace:
            raise CommandError(43, "CursorNotFound", "cursor id %d not found" % cursor_id)
        size = body.get("batchSize") or len(entry[1])
        batch, entry[1] = entry[1][:size], entry[1][size:]
        if not entry[1]:
            del self.server.cursors[cursor_id]
            cursor_id = 0
        return {"cursor": {"nextBatch": batch, "id": bson.int64.Int64(cursor_id), "ns": namespace}, "ok": 1}

    def cmd_killcursors(self, db, body):
        killed, missing = [], []
        for cursor_id in body.get("cursors", []):
            (killed if self.server.cursors.pop(cursor_id, None) else missing).append(bson.int64.Int64(cursor_id))
        return {"cursorsKilled": killed, "cursorsNotFound": missing, "cursorsAlive": [],
                "cursorsUnknown": [], "ok": 1}

    def cmd_find(self, db, body):
        coll = db[body["find"]]
        cur = coll.find(body.get("filter") or {}, body.get("projection") or None)
        if body.get("sort"):
            cur = cur.sort(list(body["sort"].items()))
        if body.get("skip"):
            cur = cur.skip(body["skip"])
        if body.get("limit"):
            cur = cur.limit(body["limit"])
        return self.cursor_reply(coll.full_name, list(cur), body.get("batchSize"), body.get("singleBatch"))

    def cmd_aggregate(self, db, body):
        coll = db[body["aggregate"]]
        if "cursor" not in body:
            raise CommandError(9, "FailedToParse", "The 'cursor' option is required")
        docs = list(coll.aggregate(body.get("pipeline", [])))
        return self.cursor_reply(coll.full_name, docs, body["cursor"].get("batchSize"))

    def cmd_count(self, db, body):
        options = {k: body[k] for k in ("skip", "limit") if body.get(k)}
        return {"n": db[body["count"]].count_documents(body.get("query") or {}, **options), "ok": 1}

    # --------------------------------------------------------------- writes

    @staticmethod
    def write_error(errors, index, exc):
        errors.append({"index": index, "code": getattr(exc, "code", None) or 2, "errmsg": str(exc)})

    def write_reply(self, n, errors, **more):
        reply = dict(n=n, **more)
        if errors:
            reply["writeErrors"] = errors
        reply["ok"] = 1
        return reply

    def cmd_insert(self, db, body):
        coll, n, errors = db[body["insert"]], 0, []
        for i, doc in enumerate(body.get("documents", [])):
            try:
                coll.insert_one(doc)
                n += 1
            except OperationFailure as e:
                self.write_error(errors, i, e)
                if body.get("ordered", True):
                    break
        return self.write_reply(n, errors)

    def cmd_update(self, db, body):
        coll, n, modified, errors, upserted = db[body["update"]], 0, 0, [], []
        for i, st in enumerate(body.get("updates", [])):
            try:
                u, upsert = st["u"], bool(st.get("upsert"))
                if isinstance(u, dict) and u and all(k.startswith("$") for k in u):
                    op = coll.update_many if st.get("multi") else coll.update_one
                    result = op(st["q"], u, upsert=upsert)
                elif st.get("multi"):
                    raise CommandError(9, "FailedToParse", "multi update is not supported for replacement-style update")
                else:
                    result = coll.replace_one(st["q"], u, upsert=upsert)
            except (OperationFailure, CommandError) as e:
                self.write_error(errors, i, e)
                if body.get("ordered", True):
                    break
                continue
            n += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                n += 1
                upserted.append({"index": i, "_id": result.upserted_id})
        extra = {"nModified": modified}
        if upserted:
            extra["upserted"] = upserted
        return self.write_reply(n, errors, **extra)

    def cmd_delete(self, db, body):
        coll, n, errors = db[body["delete"]], 0, []
        for i, st in enumerate(body.get("deletes", [])):
            try:
                op = coll.delete_one if st.get("limit") == 1 else coll.delete_many
                n += op(st["q"]).deleted_count
            except OperationFailure as e:
                self.write_error(errors, i, e)
                if body.get("ordered", True):
                    break
        return self.write_reply(n, errors)

    def cmd_findandmodify(self, db, body):
        coll = db[body["findAndModify"]]
        query, update = body.get("query") or {}, body.get("update")
        sort = list(body["sort"].items()) if body.get("sort") else None
        projection = body.get("fields") or None
        before = coll.find_one(query, sort=sort)
        last = {"n": 0 if before is None else 1, "updatedExisting": before is not None}
        if body.get("remove"):
            value = coll.find_one_and_delete(query, projection=projection, sort=sort)
            del last["updatedExisting"]
        else:
            when = ReturnDocument.AFTER if body.get("new") else ReturnDocument.BEFORE
            upsert = bool(body.get("upsert"))
            if isinstance(update, dict) and update and all(k.startswith("$") for k in update):
                op = coll.find_one_and_update
            else:
                op = coll.find_one_and_replace
            value = op(query, update, projection=projection, sort=sort, upsert=upsert, return_document=when)
            if before is None and upsert:
                inserted = value if value is not None else coll.find_one(query, sort=sort)
                last.update(n=1, upserted=inserted["_id"] if inserted else None)
        return {"lastErrorObject": last, "value": value, "ok": 1}

    # -------------------------------------------------------------- indexes

    def cmd_createindexes(self, db, body):
        coll = db[body["createIndexes"]]
        existed = coll.name in db.list_collection_names()
        before = len(coll.index_information()) if existed else 1
        for spec in body.get("indexes", []):
            options = {k: v for k, v in spec.items() if k not in ("key", "v")}
            coll.create_index(list(spec["key"].items()), **options)
        return {"createdCollectionAutomatically": not existed, "numIndexesBefore": before,
                "numIndexesAfter": len(coll.index_information()), "ok": 1}

    def cmd_dropindexes(self, db, body):
        coll = db[body["dropIndexes"]]
        if coll.name not in db.list_collection_names():
            raise CommandError(26, "NamespaceNotFound", "ns not found %s" % coll.full_name)
        was = len(coll.index_information())
        index = body.get("index")
        if index == "*":
            coll.drop_indexes()
        else:
            try:
                coll.drop_index(list(index.items()) if isinstance(index, dict) else index)
            except OperationFailure as e:
                raise CommandError(27, "IndexNotFound", str(e))
        return {"nIndexesWas": was, "ok": 1}

    def cmd_listindexes(self, db, body):
        coll = db[body["listIndexes"]]
        if coll.name not in db.list_collection_names():
            raise CommandError(26, "NamespaceNotFound", "ns does not exist: %s" % coll.full_name)
        docs = []
        for name, info in coll.index_information().items():
            doc = {"v": 2, "key": dict(info["key"]), "name": name}
            doc.update((k, v) for k, v in info.items() if k not in ("key", "v"))
            docs.append(doc)
        return self.cursor_reply(coll.full_name, docs, (body.get("cursor") or {}).get("batchSize"))

    # ---------------------------------------------------------- collections

    def cmd_drop(self, db, body):
        coll = db[body["drop"]]
        was = len(coll.index_information()) if coll.name in db.list_collection_names() else 0
        coll.drop()
        return {"ns": coll.full_name, "nIndexesWas": was, "ok": 1}

    def cmd_shutdown(self, db, body):
        # like mongod: no reply, every connection closes
        if db.name != "admin":
            raise CommandError(13, "Unauthorized", "shutdown must run from the admin database")
        print("standin: shutdown", file=sys.stderr, flush=True)
        os._exit(0)

    def cmd_dropdatabase(self, db, body):
        self.server.store.drop_database(db.name)
        return {"dropped": db.name, "ok": 1}

    def cmd_listcollections(self, db, body):
        docs = [{"name": n, "type": "collection"} for n in db.list_collection_names()]
        return self.cursor_reply(db.name + ".$cmd.listCollections", docs, None)

    # ------------------------------------------------------------- dispatch

    def run(self, body):
        name = next(iter(body), None)
        if name is None:
            return error_reply(CommandError(59, "CommandNotFound", "no command in the message"))
        method = getattr(self, "cmd_" + name.lower(), None)
        if method is None:
            return error_reply(CommandError(59, "CommandNotFound", "no such command: '%s'" % name))
        if not self.authenticated and name.lower() not in NO_AUTH_NEEDED:
            return error_reply(CommandError(13, "Unauthorized", "command %s requires authentication" % name))
        if "writeConcern" in body and name.lower() not in TAKES_WRITE_CONCERN:
            return error_reply(CommandError(72, "InvalidOptions", "Command does not support writeConcern"))
        db = self.server.store[body.get("$db", "admin")]
        try:
            return method(db, body)
        except CommandError as e:
            return error_reply(e)
        except DuplicateKeyError as e:
            return error_reply(CommandError(11000, "DuplicateKey", str(e)))
        except OperationFailure as e:
            return error_reply(CommandError(e.code or 2, "OperationFailed", str(e)))
        except (KeyError, TypeError, ValueError, NotImplementedError) as e:
            return error_reply(CommandError(2, "BadValue", "stand-in: %s: %s" % (type(e).__name__, e)))


def error_reply(e):
    return {"ok": 0, "errmsg": str(e), "code": e.code, "codeName": e.name}


def parse_op_msg(data):
    """The command of an OP_MSG after its header: flags, body (kind-1
    sequences become arrays of the body)."""
    flags = struct.unpack_from("<I", data, 0)[0]
    end = len(data) - (4 if flags & CHECKSUM_PRESENT else 0)
    pos, body, sequences = 4, None, {}
    while pos < end:
        kind = data[pos]
        pos += 1
        if kind == 0:
            size = struct.unpack_from("<i", data, pos)[0]
            body = bson.decode(data[pos:pos + size], CODEC)
            pos += size
        elif kind == 1:
            size = struct.unpack_from("<i", data, pos)[0]
            stop = pos + size
            name_end = data.index(b"\0", pos + 4)
            name = data[pos + 4:name_end].decode()
            sequences[name] = bson.decode_all(data[name_end + 1:stop], CODEC)
            pos = stop
        else:
            raise ValueError("section kind %d" % kind)
    if body is None:
        raise ValueError("no body section")
    body.update(sequences)
    return flags, body


class Protocol(asyncio.Protocol):
    def __init__(self, server):
        self.server = server
        self.buffer = bytearray()
        self.replies = itertools.count(1)

    def connection_made(self, transport):
        self.transport = transport
        self.conn = Connection(self.server)

    def data_received(self, data):
        self.buffer += data
        replies = []
        while len(self.buffer) >= 16:
            length, request_id, _, opcode = struct.unpack_from("<iiii", self.buffer, 0)
            if length < 21 or length > MAX_MESSAGE or opcode != OP_MSG:
                print("standin: closing a connection: length %d opcode %d" % (length, opcode), file=sys.stderr)
                self.transport.close()
                return
            if len(self.buffer) < length:
                break
            message = bytes(self.buffer[16:length])
            del self.buffer[:length]
            try:
                flags, body = parse_op_msg(message)
            except Exception as e:  # malformed BSON or sections from the client
                print("standin: closing a connection: %s" % e, file=sys.stderr)
                self.transport.close()
                return
            reply = self.conn.run(body)
            if not flags & MORE_TO_COME:
                replies.append(self.frame(request_id, reply))
            elif reply.get("ok") != 1 or reply.get("writeErrors"):
                # nobody hears of it but the test, which fails on this line
                print("standin: unacknowledged command failed: %s -> %s" % (next(iter(body)), reply),
                      file=sys.stderr, flush=True)
        if len(replies) > 1 and not self.server.reversed_once:
            self.server.reversed_once = True  # the test looks for this line
            print("standin: %d pipelined replies written in reverse order" % len(replies), file=sys.stderr, flush=True)
        for reply in reversed(replies):
            self.transport.write(reply)

    def frame(self, request_id, reply):
        doc = bson.encode(reply, codec_options=CODEC)
        head = struct.pack("<iiiiIB", 21 + len(doc), next(self.replies), request_id, OP_MSG, 0, 0)
        return head + doc


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    parser.add_argument("--primary")
    args = parser.parse_args()
    server = Server(args)
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(lambda: Protocol(server), "127.0.0.1", args.port)
    print("standin: listening on %s" % server.address, flush=True)
    async with listener:
        await listener.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
