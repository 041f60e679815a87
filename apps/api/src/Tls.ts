/**
 * A self-signed serving certificate for `npm run serve --token-file`: kubectl (client-go's
 * clientcmd) sends a kubeconfig's bearer token only over https, so a server that wants tokens serves
 * TLS. An ECDSA P-256 key and an X.509 v3 certificate (SAN: the listen host, 127.0.0.1, ::1,
 * localhost) encoded in DER here with node:crypto, no openssl needed.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from "node:crypto"
import { isIP } from "node:net"

/** PEM key and certificate. */
export interface ServingCertificate {
  readonly key: string
  readonly cert: string
}

const tlv = (tag: number, content: Buffer): Buffer => {
  const n = content.length
  const length =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : n < 0x10000
          ? Buffer.from([0x82, n >> 8, n & 0xff])
          : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff])
  return Buffer.concat([Buffer.from([tag]), length, content])
}

const sequence = (...items: Array<Buffer>) => tlv(0x30, Buffer.concat(items))
const set = (...items: Array<Buffer>) => tlv(0x31, Buffer.concat(items))
const explicit = (n: number, item: Buffer) => tlv(0xa0 + n, item)
const octets = (b: Buffer) => tlv(0x04, b)
const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]))
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"))
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]))

/** A non-negative INTEGER from big-endian bytes (minimal, with a leading 0 when the top bit is set). */
const integer = (bytes: Buffer): Buffer => {
  let i = 0
  while (i < bytes.length - 1 && bytes[i] === 0 && (bytes[i + 1]! & 0x80) === 0) i++
  const trimmed = bytes.subarray(i)
  return tlv(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...Array<number>]
  const bytes = [a * 40 + b]
  for (const n of rest) {
    const chunk = [n & 0x7f]
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime (years before 2050) or GeneralizedTime, as RFC 5280 asks. */
const time = (date: Date): Buffer => {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14)
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`))
}

const ipBytes = (ip: string): Buffer => {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number))
  const [head, tail = ""] = ip.split("::") as [string, string?]
  const words = (s: string) => (s === "" ? [] : s.split(":").map((w) => Number.parseInt(w, 16)))
  const h = words(head)
  const t = ip.includes("::") ? words(tail) : []
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t]
  return Buffer.from(all.flatMap((w) => [w >> 8, w & 0xff]))
}

/** A self-signed certificate valid from `now` for `days`, naming `hosts` (IP addresses or DNS names). */
export const selfSignedCertificate = (hosts: ReadonlyArray<string>, now: Date, days = 365): ServingCertificate => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  const names = [...new Set([...hosts, "127.0.0.1", "::1", "localhost"])]
    .map((h) => h.replace(/^\[|\]$/g, ""))
    .filter((h) => h !== "" && h !== "0.0.0.0" && h !== "::")
  const altNames = sequence(
    ...names.map((h) => (isIP(h) === 0 ? tlv(0x82, Buffer.from(h, "ascii")) : tlv(0x87, ipBytes(h))))
  )
  const ecdsaWithSha256 = sequence(oid("1.2.840.10045.4.3.2"))
  const name = sequence(set(sequence(oid("2.5.4.3"), utf8("podlet"))))
  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f
  const extensions = sequence(
    // subjectAltName
    sequence(oid("2.5.29.17"), octets(altNames)),
    // keyUsage: digitalSignature, keyCertSign (critical)
    sequence(oid("2.5.29.15"), bool(true), octets(tlv(0x03, Buffer.from([0x02, 0x84])))),
    // extKeyUsage: serverAuth
    sequence(oid("2.5.29.37"), octets(sequence(oid("1.3.6.1.5.5.7.3.1")))),
    // basicConstraints: CA (critical), so the certificate can be its own trust anchor
    sequence(oid("2.5.29.19"), bool(true), octets(sequence(bool(true))))
  )
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name,
    sequence(time(new Date(now.getTime() - 60_000)), time(new Date(now.getTime() + days * 86_400_000))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, extensions)
  )
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" })
  const der = sequence(tbs, ecdsaWithSha256, bitString(signature))
  const base64 = der.toString("base64").replace(/.{64}/g, "$&\n")
  return {
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`
  }
}

/** Whether a PEM key parses (a stored certificate pair is reused only when it does). */
export const validKey = (pem: string): boolean => {
  try {
    createPrivateKey(pem)
    return true
  } catch {
    return false
  }
}
