import { describe, expect, it } from 'vitest';
import { encodeClientState } from '../../lib/telnyx/client-state.js';
import { BadRequestError } from '../../lib/errors.js';
import { parseTelnyxEvent } from '../../lib/telnyx/webhook-events.js';

const envelope = (event_type: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ data: { record_type: 'event', event_type, id: 'evt-1', occurred_at: '2026-11-24T10:00:00.000Z', payload, ...extra }, meta: { attempt: 1 } });
const customerState = encodeClientState({ sessionId: '0123456789', role: 'customer' });

describe('parsing Telnyx webhooks into our events', () => {
  it.each([
    [
      'call.initiated',
      { call_control_id: 'v3:a', direction: 'incoming', from: '+15551230000', to: '+15559870000', state: 'parked' },
      { type: 'call.initiated', callControlId: 'v3:a', direction: 'incoming', from: '+15551230000', to: '+15559870000' },
    ],
    ['call.answered', { call_control_id: 'v3:a', client_state: customerState }, { type: 'call.answered', clientState: { sessionId: '0123456789', role: 'customer' } }],
    ['call.hangup', { call_control_id: 'v3:a', hangup_cause: 'timeout' }, { type: 'call.hangup', cause: 'timeout' }],
    ['call.hangup', { call_control_id: 'v3:a' }, { type: 'call.hangup', cause: 'unspecified' }],
    ['call.dtmf.received', { call_control_id: 'v3:a', digit: '#' }, { type: 'call.dtmf.received', digit: '#' }],
    ['call.gather.ended', { call_control_id: 'v3:a', digits: '1', status: 'valid' }, { type: 'call.gather.ended', digits: '1', status: 'valid' }],
    ['call.gather.ended', { call_control_id: 'v3:a', status: 'cancelled_amd' }, { type: 'call.gather.ended', digits: '', status: 'other' }],
    [
      'call.transcription',
      { call_control_id: 'v3:a', transcription_data: { transcript: 'hello', confidence: null, is_final: true, transcription_track: 'inbound' } },
      { type: 'call.transcription', transcript: 'hello', isFinal: true, track: 'inbound' },
    ],
    ['conference.created', { conference_id: 'c1', call_control_id: 'v3:a', occurred_at: '2026-11-24T10:00:01.000Z' }, { type: 'conference.created', conferenceId: 'c1' }],
    ['conference.participant.joined', { conference_id: 'c1', call_control_id: 'v3:b' }, { type: 'conference.participant.joined', conferenceId: 'c1', callControlId: 'v3:b' }],
    ['conference.participant.left', { conference_id: 'c1', call_control_id: 'v3:b' }, { type: 'conference.participant.left' }],
    ['conference.ended', { conference_id: 'c1', reason: 'all_left' }, { type: 'conference.ended', conferenceId: 'c1' }],
    ['call.bridged', { anything: true }, { type: 'ignored', eventType: 'call.bridged' }],
  ])('%s', (type, payload, expected) => {
    expect(parseTelnyxEvent(envelope(type, payload))).toMatchObject({ id: 'evt-1', ...expected });
  });

  it('reads occurred_at from the payload for conference events that carry it there', () => {
    const body = JSON.stringify({ data: { record_type: 'event', event_type: 'conference.created', id: 'x', payload: { conference_id: 'c', call_control_id: 'v3:a', occurred_at: '2026-11-24T10:00:01.000Z' } } });
    expect(parseTelnyxEvent(body).occurredAtMs).toBe(Date.parse('2026-11-24T10:00:01.000Z'));
  });

  it('treats a foreign or malformed client_state as absent', () => {
    for (const clientState of ['bm90IG91cnM=', '!!!', Buffer.from('{"r":"admin"}').toString('base64'), Buffer.from('{"r":"customer","s":"../x"}').toString('base64')]) {
      expect(parseTelnyxEvent(envelope('call.answered', { call_control_id: 'v3:a', client_state: clientState })).clientState).toBeUndefined();
    }
  });

  it.each([
    ['not JSON', '{"data":', /not valid JSON/],
    ['no data', '{}', /envelope/],
    ['not an event record', JSON.stringify({ data: { record_type: 'call', event_type: 'call.answered', id: 'x' } }), /envelope/],
    ['missing call_control_id', envelope('call.answered', {}), /call_control_id/],
    ['wrong type', envelope('call.dtmf.received', { call_control_id: 'v3:a', digit: 5 }), /digit/],
    ['two digits in one dtmf event', envelope('call.dtmf.received', { call_control_id: 'v3:a', digit: '12' }), /digit/],
    ['bad direction', envelope('call.initiated', { call_control_id: 'v3:a', direction: 'sideways', from: '1', to: '2' }), /direction/],
    ['a JSON array', '[]', /envelope/],
  ])('rejects %s with a clear 400', (_name, body, message) => {
    expect(() => parseTelnyxEvent(body)).toThrow(BadRequestError);
    expect(() => parseTelnyxEvent(body)).toThrow(message);
  });
});
