/**
 * The 3D preview of a model output: three.js (its GLTFLoader and OrbitControls), bundled into a
 * chunk of its own that the page loads only when a preview is asked for. The model is framed to
 * fit, lit from the camera and the sky, and turned with the pointer.
 */
import {
  Box3, Color, DirectionalLight, HemisphereLight, PerspectiveCamera, Scene, Vector3, WebGLRenderer
} from 'three'
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'

/** Shows the model at `url` in `host`; returns what stops it and frees its resources. */
export async function showModel (host: HTMLElement, url: string): Promise<() => void> {
  const gltf = await new GLTFLoader().loadAsync(url)
  const width = host.clientWidth || 320
  const height = host.clientHeight || 240
  const scene = new Scene()
  scene.background = new Color(0xf3f4f6)
  scene.add(new HemisphereLight(0xffffff, 0x555555, 2))
  const camera = new PerspectiveCamera(45, width / height, 0.01, 1000)
  const light = new DirectionalLight(0xffffff, 2)
  camera.add(light)
  scene.add(camera)
  scene.add(gltf.scene)

  const box = new Box3().setFromObject(gltf.scene)
  const size = box.getSize(new Vector3()).length() || 1
  const center = box.getCenter(new Vector3())
  camera.position.copy(center).add(new Vector3(size * 0.6, size * 0.4, size * 0.9))
  camera.near = size / 100
  camera.far = size * 100
  camera.updateProjectionMatrix()

  const renderer = new WebGLRenderer({ antialias: true })
  renderer.setPixelRatio(Math.min(2, window.devicePixelRatio))
  renderer.setSize(width, height)
  host.replaceChildren(renderer.domElement)
  const controls = new OrbitControls(camera, renderer.domElement)
  controls.target.copy(center)
  controls.update()
  renderer.setAnimationLoop(() => {
    controls.update()
    renderer.render(scene, camera)
  })
  host.dataset['rendered'] = 'true'
  return () => {
    renderer.setAnimationLoop(null)
    controls.dispose()
    renderer.dispose()
    host.replaceChildren()
  }
}
