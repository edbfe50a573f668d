// The files source's inbox: the watcher reporting changed paths, and effect replies.
import type { Message } from '../../runtime/message.ts';
import type { EffectReply } from '../../runtime/outbox.ts';

export const FILES_SOURCE = 'source.files';

export interface FilesChanged extends Message<'files.changed'> {
  readonly paths: readonly string[];
}

export type FilesSourceMessage = FilesChanged | EffectReply;
