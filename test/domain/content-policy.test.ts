import t from 'tap'
import { ContentPolicy, DEFAULT_BANNED_WORDS } from '../../src/domain/content-policy.ts'
import type { ApiError } from '../../src/domain/errors.ts'

const codeOf = (policy: ContentPolicy, texts: string[]): number | undefined => {
  try {
    policy.check(texts)
    return undefined
  } catch (error) {
    return (error as ApiError).entry.code
  }
}

t.test('refused characters answer 2009 before the word list', async (t) => {
  const policy = new ContentPolicy()
  for (const text of ['😀', 'flag 🇫🇷', 'heart ❤️', 'zwj\u200D', 'private \uE000', 'lone \uD800', 'nul \u0000', 'del \u007F']) {
    t.equal(codeOf(policy, [text]), 2009, JSON.stringify(text))
  }
  t.equal(codeOf(policy, ['nsfw 😀']), 2009)
  for (const text of ['plain', 'accents: café', 'CJK 黑猫', 'symbols © ® ™ ★', 'tab\tand\nnewline\r']) {
    t.equal(codeOf(policy, [text]), undefined, JSON.stringify(text))
  }
})

t.test('banned words match whole words, case-insensitively', async (t) => {
  const policy = new ContentPolicy()
  t.ok(DEFAULT_BANNED_WORDS.length > 0)
  t.equal(codeOf(policy, ['a', 'some GORE here']), 2008)
  t.equal(codeOf(policy, ['gorevalley', 'ungored']), undefined)
  const empty = new ContentPolicy(['', '  '])
  t.equal(codeOf(empty, ['nsfw']), undefined, 'an empty list bans nothing')
  const custom = new ContentPolicy(['c++ code', 'a.b'])
  t.equal(codeOf(custom, ['write C++ code']), 2008, 'special characters are literal')
  t.equal(codeOf(custom, ['aXb']), undefined)
})
