/**
 * The SigV4 pieces on their own: the example of the AWS S3 documentation (a signed GET), query
 * canonicalisation, and header values.
 */
import t from 'tap'
import { canonicalQuery, canonicalRequest, parseAuthorization, requestSignature } from '../../src/api/sigv4.ts'

t.test('the AWS documentation example (GET Object with a range) gives its published signature', async (t) => {
  // "Signature Calculations for the Authorization Header" (Amazon S3 API reference), example "GET Object".
  const auth = parseAuthorization('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41')
  if (auth === undefined) throw new Error('does not parse')
  const headers = {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-amz-date': '20130524T000000Z'
  }
  const request = { method: 'GET', url: '/test.txt', headers, payloadHash: headers['x-amz-content-sha256'] }
  t.equal(requestSignature(request, auth, '20130524T000000Z', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), auth.signature)
})

t.test('the query is sorted by key then value, and encoded as RFC 3986', async (t) => {
  t.equal(canonicalQuery(''), '')
  t.equal(canonicalQuery('b=2&a=1&a=0&c'), 'a=0&a=1&b=2&c=')
  t.equal(canonicalQuery('x=a%20b&y=(*)&z=%zz'), 'x=a%20b&y=%28%2A%29&z=%25zz')
  t.equal(canonicalQuery('k=2&k=2'), 'k=2&k=2')
  t.equal(canonicalQuery('b=1&a=1&c=0'), 'a=1&b=1&c=0')
})

t.test('header values are trimmed and folded; repeated headers joined; a missing one is empty', async (t) => {
  const text = canonicalRequest({ method: 'PUT', url: '/b/k?x-id=PutObject', headers: { a: '  one   two ', b: ['x', 'y'] }, payloadHash: 'UNSIGNED-PAYLOAD' }, ['a', 'b', 'c'])
  t.equal(text, 'PUT\n/b/k\nx-id=PutObject\na:one two\nb:x,y\nc:\n\na;b;c\nUNSIGNED-PAYLOAD')
  t.equal(parseAuthorization('AWS4-HMAC-SHA256 Credential=AK/2026/us/s3/aws4_request, SignedHeaders=host, Signature=abc'), undefined)
})
