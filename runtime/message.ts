// Every message between actors carries its causal metadata so any outcome traces back to the outside
// event that started it (DESIGN.md §2).

export interface MessageMeta {
  /** Unique id of this message, from the system's id generator. */
  readonly id: string;
  /** Id of the message (or outside event) that led to this one; absent for outside events. */
  readonly causeId?: string | undefined;
  /** Logical time (ms) from the system's clock when the message was created. */
  readonly time: number;
}

export interface Message<TType extends string = string> {
  readonly type: TType;
  readonly meta: MessageMeta;
}

/** A message before the runtime has stamped its meta: what actor logic writes. */
export type Draft<TMessage extends Message> = TMessage extends Message ? Omit<TMessage, 'meta'> : never;

export type AnyMessage = Message & Record<string, unknown>;
