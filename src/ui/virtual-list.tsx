/**
 * A long list that renders only the rows in view (@tanstack/virtual-core, through the few lines of
 * glue its React adapter has), so a list of thousands updating every frame stays cheap. Rows have
 * one height. New rows arrive at the top: a list scrolled down is moved by as much, so what the
 * reader looks at stays put. Arrow keys move between rows.
 */
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from '@tanstack/virtual-core'
import type { ComponentChildren } from 'preact'
import { useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks'

export interface VirtualListProps {
  readonly count: number
  readonly rowHeight: number
  /** Rows just added at the top. */
  readonly added: number
  readonly label: string
  readonly row: (index: number) => ComponentChildren
}

export function VirtualList ({ count, rowHeight, added, label, row }: VirtualListProps) {
  const scroller = useRef<HTMLDivElement>(null)
  const [, rerender] = useReducer((n: number) => n + 1, 0)
  const options = {
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 8,
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    onChange: () => { rerender(undefined) }
  }
  const [virtualizer] = useState(() => new Virtualizer<HTMLDivElement, HTMLLIElement>(options))
  virtualizer.setOptions({ ...virtualizer.options, ...options })
  useLayoutEffect(() => virtualizer._didMount(), [])
  useLayoutEffect(() => { virtualizer._willUpdate() })
  useLayoutEffect(() => {
    const element = scroller.current
    if (element !== null && added > 0 && element.scrollTop > 0) element.scrollTop += added * rowHeight
  }, [count, added])

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
    const current = (event.target as HTMLElement).closest('li')
    const next = event.key === 'ArrowDown' ? current?.nextElementSibling : current?.previousElementSibling
    const button = next?.querySelector('button')
    if (button === null || button === undefined) return
    event.preventDefault()
    button.focus()
    button.click()
  }

  return (
    <div class='scroller' ref={scroller} onKeyDown={onKeyDown}>
      <ul class='rows' aria-label={label} style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {virtualizer.getVirtualItems().map((item) => (
          <li key={item.key} style={{ transform: `translateY(${item.start}px)`, height: `${rowHeight}px` }}>{row(item.index)}</li>
        ))}
      </ul>
    </div>
  )
}
