/**
 * The sample files: each one is a valid file of its format (read by an independent parser, the
 * GLBs by the Khronos glTF validator), and `npm run fixtures` rebuilds them byte for byte.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { validateBytes, validateString } from 'gltf-validator'
import t from 'tap'
import { ASSETS, type AssetName } from '../../src/domain/assets.ts'
import { child, parseFbx, parseGlb, parseGzippedNbt, parsePng, parseStl, parseWebp, parseZip } from '../fixtures/formats.ts'
import { uncoveredEnv } from '../fixtures/uncovered.ts'

const ROOT = new URL('../../', import.meta.url)
const FIXTURES = new URL('fixtures/', ROOT)
const read = (name: string) => readFileSync(new URL(name, FIXTURES))
const NAMES = Object.keys(ASSETS) as AssetName[]

t.test('fixtures/ holds exactly one file per asset', async (t) => {
  t.same(readdirSync(FIXTURES).sort(), [...NAMES].sort())
})

t.test('the generator rebuilds every fixture byte for byte', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'tripo-mock-fixtures-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  // The CLI runs by tsx, without coverage (see fixtures/uncovered.ts): it is checked by its output.
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/make-fixtures.ts', folder], { cwd: ROOT, env: uncoveredEnv() })
  t.same(readdirSync(folder).sort(), [...NAMES].sort())
  for (const name of NAMES) t.ok(readFileSync(join(folder, name)).equals(read(name)), `${name} is identical`)
})

t.test('every fixture is small', async (t) => {
  for (const name of NAMES) t.ok(read(name).length < 100 * 1024, `${name}: ${read(name).length} bytes`)
})

const GLBS = NAMES.filter((name) => name.endsWith('.glb'))

t.test('the GLBs are valid glTF 2.0 with the content their name promises', async (t) => {
  for (const name of GLBS) {
    const bytes = read(name)
    const { json } = parseGlb(bytes)
    const report = await validateBytes(new Uint8Array(bytes))
    t.equal(report.issues.numErrors, 0, `${name}: no validator errors ${JSON.stringify(report.issues.messages.slice(0, 3))}`)
    t.equal(report.issues.numWarnings, 0, `${name}: no validator warnings`)
    t.ok(json['meshes']?.length >= 1, `${name} has a mesh`)
    t.ok(report.info.totalTriangleCount > 0, `${name} has triangles`)
  }
  const textured = parseGlb(read('textured.glb')).json
  const pbr = textured['materials'][0].pbrMetallicRoughness
  t.ok(pbr.baseColorTexture !== undefined && pbr.metallicRoughnessTexture !== undefined, 'PBR: base colour and metallic-roughness textures')
  t.same(textured['images'].map((image: { mimeType: string }) => image.mimeType), ['image/png', 'image/png'], 'both embedded as PNG')
  t.equal(parseGlb(read('base.glb')).json['textures'], undefined, 'the base model has no texture')
  t.ok(parseGlb(read('rigged.glb')).json['skins'][0].joints.length === 3, 'rigged: a skin with three joints')
  t.equal(parseGlb(read('rigged.glb')).json['animations'], undefined, 'rigged: no animation')
  t.equal(parseGlb(read('animated.glb')).json['animations'][0].channels[0].target.path, 'rotation', 'animated: a rotation channel')
  t.same(parseGlb(read('segmented.glb')).json['nodes'].map((node: { name: string }) => node.name), ['Model', 'body', 'head', 'arm_left', 'arm_right', 'leg_left', 'leg_right'], 'segmented: named parts')
  const triangles = async (name: string) => (await validateBytes(new Uint8Array(read(name)))).info.totalTriangleCount
  t.ok(await triangles('lowpoly.glb') < await triangles('base.glb') / 4, 'low poly has far fewer triangles')
})

t.test('model.gltf is valid glTF JSON with its buffers and images inlined', async (t) => {
  const text = read('model.gltf').toString('utf8')
  const report = await validateString(text)
  t.equal(report.issues.numErrors, 0, JSON.stringify(report.issues.messages.slice(0, 3)))
  const json = JSON.parse(text)
  t.match(json.buffers[0].uri, /^data:application\/octet-stream;base64,/)
  t.ok(json.images.every((image: { uri: string }) => image.uri.startsWith('data:image/png;base64,')))
})

t.test('the images are PNG and lossless WebP of the stated sizes', async (t) => {
  t.same(parseWebp(read('preview.webp')), { format: 'VP8L', width: 96, height: 96 })
  t.same(parseWebp(read('generated.webp')), { format: 'VP8L', width: 64, height: 64 })
  t.same(parsePng(read('generated.png')), { width: 96, height: 96 })
  const views = ['front', 'left', 'back', 'right'].map((view) => read(`view-${view}.png`))
  for (const view of views) t.same(parsePng(view), { width: 64, height: 64 })
  t.equal(new Set(views.map((view) => view.toString('base64'))).size, 4, 'the four views differ')
})

t.test('the zipped formats hold what their readers expect', async (t) => {
  const obj = parseZip(read('model.obj.zip'))
  t.same(obj.map((file) => file.name), ['model.obj', 'model.mtl', 'texture.png'])
  const objText = obj[0]?.data.toString('utf8') ?? ''
  t.match(objText, /^mtllib model\.mtl$/m)
  t.ok(objText.split('\n').filter((line) => line.startsWith('f ')).length > 100, 'OBJ faces')
  t.match(obj[1]?.data.toString('utf8'), /map_Kd texture\.png/)
  parsePng(obj[2]?.data as Buffer)

  const usdz = parseZip(read('model.usdz'))
  t.same(usdz.map((file) => file.name), ['model.usda', 'texture.png'], 'the layer comes first')
  for (const file of usdz) {
    t.equal(file.method, 0, `${file.name} is stored, not compressed`)
    t.equal(file.dataOffset % 64, 0, `${file.name} data is 64-byte aligned`)
  }
  t.match(usdz[0]?.data.toString('utf8'), /^#usda 1\.0\n[\s\S]*def Mesh "Sphere"[\s\S]*UsdPreviewSurface/)

  const threeMf = parseZip(read('model.3mf'))
  t.same(threeMf.map((file) => file.name), ['[Content_Types].xml', '_rels/.rels', '3D/3dmodel.model'])
  t.match(threeMf[1]?.data.toString('utf8'), /Target="\/3D\/3dmodel\.model"/)
  const model = threeMf[2]?.data.toString('utf8') ?? ''
  t.match(model, /<model unit="millimeter"[^>]*xmlns="http:\/\/schemas\.microsoft\.com\/3dmanufacturing\/core\/2015\/02"/)
  t.ok((model.match(/<triangle /g) ?? []).length > 100, '3MF triangles')
})

t.test('the STL triangle count matches its size', async (t) => {
  t.ok(parseStl(read('model.stl')).triangles > 100)
})

t.test('the schematic is a gzipped Sponge schematic', async (t) => {
  const { name, value } = parseGzippedNbt(read('minecraft.schem'))
  t.equal(name, 'Schematic')
  t.equal(value['Version'], 2)
  const volume = (value['Width'] as number) * (value['Height'] as number) * (value['Length'] as number)
  t.equal((value['BlockData'] as Buffer).length, volume, 'one block per cell')
  t.equal(Object.keys(value['Palette'] as object).length, value['PaletteMax'])
  t.ok((value['BlockData'] as Buffer).some((block) => block !== 0), 'not all air')
})

t.test('the FBX files are binary FBX 7.4 with mesh, skin and animation', async (t) => {
  for (const name of ['quad.fbx', 'model.fbx', 'rigged.fbx', 'animated.fbx']) {
    const { version, records } = parseFbx(read(name))
    t.equal(version, 7400, name)
    t.same(records.map((record) => record.name), ['FBXHeaderExtension', 'FileId', 'CreationTime', 'Creator', 'GlobalSettings', 'Definitions', 'Objects', 'Connections'], `${name}: top-level records`)
  }
  const objects = (name: string) => child(parseFbx(read(name)).records.find((record) => record.name === 'Objects'), 'Model').length +
    child(parseFbx(read(name)).records.find((record) => record.name === 'Objects'), 'Geometry').length
  t.equal(objects('model.fbx'), 2, 'a model and its geometry')
  const kinds = (name: string, kind: string) => child(parseFbx(read(name)).records.find((record) => record.name === 'Objects'), kind)
  const quadIndex = child(kinds('quad.fbx', 'Geometry')[0], 'PolygonVertexIndex')[0]?.properties[0] as number
  const triIndex = child(kinds('model.fbx', 'Geometry')[0], 'PolygonVertexIndex')[0]?.properties[0] as number
  t.ok(quadIndex < triIndex, 'the quad mesh has fewer, four-cornered polygons')
  t.equal(kinds('rigged.fbx', 'Deformer').length, 4, 'rigged: a skin and three clusters')
  t.equal(kinds('rigged.fbx', 'AnimationStack').length, 0)
  t.equal(kinds('animated.fbx', 'AnimationStack').length, 1, 'animated: an animation stack')
  t.equal(kinds('animated.fbx', 'AnimationCurve').length, 3)
})
