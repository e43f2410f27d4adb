/* test_list.h - the one test list, for every platform.
   PIPC_SUITE(suite) opens a suite; PIPC_TEST(suite, name) adds a case
   implemented as void test_<suite>_<name>(void). */
#define PIPC_TEST_LIST(PIPC_SUITE, PIPC_TEST)        \
  PIPC_SUITE(errors)                                 \
  PIPC_TEST(errors, strerror_names_every_code)       \
  PIPC_TEST(errors, os_error_kept_per_thread)        \
  PIPC_SUITE(names)                                  \
  PIPC_TEST(names, invalid_names_rejected)           \
  PIPC_TEST(names, longest_name_works)               \
  PIPC_TEST(names, long_names_stay_apart)            \
  PIPC_TEST(names, null_name_makes_unique_names)     \
  PIPC_TEST(names, one_name_one_object)              \
  PIPC_TEST(names, listener_and_segment_share_no_name) \
  PIPC_TEST(names, unlink_checks_the_kind)           \
  PIPC_TEST(names, case_matters_everywhere)          \
  PIPC_SUITE(shm)                                    \
  PIPC_TEST(shm, create_zero_filled)                 \
  PIPC_TEST(shm, size_zero_is_einval)                \
  PIPC_TEST(shm, create_existing_is_eexist)          \
  PIPC_TEST(shm, open_missing_is_enoent)             \
  PIPC_TEST(shm, open_learns_size)                   \
  PIPC_TEST(shm, child_writes_parent_reads)          \
  PIPC_TEST(shm, unlink_then_open_is_enoent)         \
  PIPC_TEST(shm, huge_size_created_or_enomem)        \
  PIPC_TEST(shm, size_2_63_is_enomem)                \
  PIPC_TEST(shm, typed_segment_refused_as_sem)       \
  PIPC_TEST(shm, map_file_child_writes_parent_reads) \
  PIPC_TEST(shm, map_file_created_owner_only)        \
  PIPC_TEST(shm, map_file_bad_arguments)             \
  PIPC_TEST(shm, map_file_size_zero)                 \
  PIPC_TEST(shm, map_file_shorter_is_grown)          \
  PIPC_TEST(shm, map_file_grown_while_mapped)        \
  PIPC_TEST(shm, map_file_excl_existing_is_eexist)   \
  PIPC_TEST(shm, map_file_close_then_reopen)         \
  PIPC_TEST(shm, map_file_has_no_name)               \
  PIPC_TEST(shm, map_file_too_big_is_enomem)         \
  PIPC_SUITE(sem)                                    \
  PIPC_TEST(sem, initial_count)                      \
  PIPC_TEST(sem, zero_timeout_is_eagain)             \
  PIPC_TEST(sem, timeout_waits_at_least_timeout)     \
  PIPC_TEST(sem, post_past_max_is_eoverflow)         \
  PIPC_TEST(sem, bad_bounds_are_einval)              \
  PIPC_TEST(sem, max_reports_the_bound)              \
  PIPC_TEST(sem, unbounded_counts_up)                \
  PIPC_TEST(sem, open_shares_count)                  \
  PIPC_TEST(sem, waiter_woken_by_other_process)      \
  PIPC_TEST(sem, other_process_woken_by_post)        \
  PIPC_TEST(sem, threads_hand_off_exactly)           \
  PIPC_TEST(sem, seed002_three_of_ten_inside)        \
  PIPC_TEST(sem, undo_bad_flags)                     \
  PIPC_TEST(sem, undo_holder_killed_gives_back)      \
  PIPC_TEST(sem, undo_thread_end_post_and_close)     \
  PIPC_TEST(sem, undo_holders_die_everywhere)        \
  PIPC_TEST(sem, undo_fresh_entry_after_a_death_in_post) \
  PIPC_TEST(sem, undo_post_by_non_holder_is_bounded) \
  PIPC_TEST(sem, undo_trywait_is_never_etimedout)    \
  PIPC_SUITE(lock)                                   \
  PIPC_TEST(lock, acquire_release)                   \
  PIPC_TEST(lock, misuse_by_holder_is_einval)        \
  PIPC_TEST(lock, timeouts_when_held)                \
  PIPC_TEST(lock, seed002_counter_race_fixed)        \
  PIPC_TEST(lock, holder_killed_is_eownerdead)       \
  PIPC_TEST(lock, parked_waiters_survive_kill)       \
  PIPC_TEST(lock, unlink_leaves_no_trace)            \
  PIPC_TEST(lock, state_without_acquiring)           \
  PIPC_SUITE(queue)                                  \
  PIPC_TEST(queue, fifo)                             \
  PIPC_TEST(queue, full_eagain_and_timeout)          \
  PIPC_TEST(queue, empty_eagain_and_timeout)         \
  PIPC_TEST(queue, zero_length_messages)             \
  PIPC_TEST(queue, max_msg_size_boundary)            \
  PIPC_TEST(queue, small_buffer_keeps_message)       \
  PIPC_TEST(queue, size_exact_when_quiet)            \
  PIPC_TEST(queue, bad_arguments)                    \
  PIPC_TEST(queue, shutdown_drains_then_closed)      \
  PIPC_TEST(queue, shutdown_releases_blocked)        \
  PIPC_TEST(queue, unlink_while_open)                \
  PIPC_TEST(queue, open_by_unrelated_process)        \
  PIPC_TEST(queue, threads_share_handles)            \
  PIPC_TEST(queue, corrupt_header_is_ecorrupt)       \
  PIPC_TEST(queue, producer_lock_holder_killed)      \
  PIPC_TEST(queue, consumer_lock_holder_killed)      \
  PIPC_TEST(queue, zero_copy_roundtrip)              \
  PIPC_TEST(queue, zero_copy_misuse)                 \
  PIPC_TEST(queue, zero_copy_close_lets_go)          \
  PIPC_TEST(queue, zero_copy_producer_killed)        \
  PIPC_TEST(queue, zero_copy_consumer_killed)        \
  PIPC_TEST(queue, stat_reports_state)               \
  PIPC_TEST(queue, positions_wrap_at_48_bits)        \
  PIPC_TEST(queue, wrap_with_capacity_3_and_a_killed_peeker) \
  PIPC_TEST(queue, thread_ends_holding_a_claim)      \
  PIPC_TEST(queue, too_many_threads_is_eagain)       \
  PIPC_TEST(queue, fork_child_uses_parent_handle)    \
  PIPC_TEST(queue, fork_child_does_not_own_parent_holds) \
  PIPC_TEST(queue, stopped_claimant_is_alive)        \
  PIPC_TEST(queue, repairer_killed_midway)           \
  PIPC_TEST(queue, uncontended_makes_no_kernel_call) \
  PIPC_TEST(queue, shutdown_with_a_claim_out)        \
  PIPC_TEST(queue, size_is_never_corrupt_in_traffic) \
  PIPC_TEST(queue, damaged_slot_words)               \
  PIPC_TEST(queue, slot_words_in_a_circle)           \
  PIPC_TEST(queue, damaged_waiter_counts)            \
  PIPC_TEST(queue, damaged_os_words_never_hang)      \
  PIPC_TEST(queue, own_claim_through_another_handle) \
  PIPC_TEST(queue, cancels_never_hide_a_message)     \
  PIPC_TEST(queue, durable_bad_arguments)            \
  PIPC_TEST(queue, durable_peek_thread_ends)         \
  PIPC_TEST(queue, durable_orphan_pins_its_entry)    \
  PIPC_TEST(queue, abandon_gives_back)               \
  PIPC_TEST(queue, tag_pins_its_entry)               \
  PIPC_TEST(queue, tag_outcome_without_deaths)       \
  PIPC_TEST(queue, incarnation_differs_across_create) \
  PIPC_TEST(queue, damaged_durable_and_tag_words)    \
  PIPC_SUITE(registry)                               \
  PIPC_TEST(registry, killed_holder_is_dead)         \
  PIPC_TEST(registry, thread_end_lets_go)            \
  PIPC_TEST(registry, full_is_eagain)                \
  PIPC_TEST(registry, close_while_a_thread_holds)    \
  PIPC_TEST(registry, fork_child_takes_its_own)      \
  PIPC_SUITE(queue_mp)                               \
  PIPC_TEST(queue_mp, mpmc_4x4_exactly_once)         \
  PIPC_TEST(queue_mp, mpmc_4x4_capacity_1)           \
  PIPC_SUITE(queue_kill)                             \
  PIPC_TEST(queue_kill, producer_killed_inside_put)  \
  PIPC_TEST(queue_kill, consumer_killed_inside_get)  \
  PIPC_TEST(queue_kill, durable_holder_killed)       \
  PIPC_TEST(queue_kill, new_fault_points)            \
  PIPC_TEST(queue_kill, durable_consumer_never_loses) \
  PIPC_SUITE(pipe)                                   \
  PIPC_TEST(pipe, pair_round_trip)                   \
  PIPC_TEST(pipe, echo_sizes_both_ways)              \
  PIPC_TEST(pipe, small_buffer_keeps_message)        \
  PIPC_TEST(pipe, poll)                              \
  PIPC_TEST(pipe, poll_never_twice_for_a_partial_message) \
  PIPC_TEST(pipe, flush_pushes_buffered_output)      \
  PIPC_TEST(pipe, os_handle_for_event_loops)         \
  PIPC_TEST(pipe, peer_closes_after_sending)         \
  PIPC_TEST(pipe, peer_killed)                       \
  PIPC_TEST(pipe, both_send_8mib_first)              \
  PIPC_TEST(pipe, one_end_two_threads)               \
  PIPC_TEST(pipe, receiver_waiting_while_send_leaves_output) \
  PIPC_TEST(pipe, flush_leaves_output_with_a_receiver_waiting) \
  PIPC_TEST(pipe, send_returns_when_out_of_the_end)  \
  PIPC_TEST(pipe, timed_out_send_sends_nothing)      \
  PIPC_TEST(pipe, send_outlives_its_thread)          \
  PIPC_TEST(pipe, wine_refuses_what_it_cannot_carry) \
  PIPC_TEST(pipe, listener_twice_is_eexist)          \
  PIPC_TEST(pipe, listener_name_while_accepted_pipe_open) \
  PIPC_TEST(pipe, connect_waits_for_listener)        \
  PIPC_TEST(pipe, connect_to_a_full_backlog)         \
  PIPC_TEST(pipe, many_clients_at_once)              \
  PIPC_TEST(pipe, clients_wait_for_accept)           \
  PIPC_TEST(pipe, client_gone_before_accept)         \
  PIPC_TEST(pipe, export_to_child_seed001)           \
  PIPC_TEST(pipe, exported_end_goes_to_one_child)    \
  PIPC_TEST(pipe, close_is_bounded)                  \
  PIPC_TEST(pipe, killed_writer_never_yields_partial) \
  PIPC_TEST(pipe, hostile_lengths)                   \
  PIPC_TEST(pipe, bad_arguments)                     \
  PIPC_SUITE(auth)                                   \
  PIPC_TEST(auth, right_key_then_messages)           \
  PIPC_TEST(auth, wrong_key_refused_on_both_sides)   \
  PIPC_TEST(auth, key_lengths_1_and_max)             \
  PIPC_TEST(auth, timeout_0_calls_complete_the_handshake) \
  PIPC_TEST(auth, bad_attr_arguments)                \
  PIPC_TEST(auth, keyless_client_gets_a_challenge)   \
  PIPC_TEST(auth, keyed_client_to_plain_listener_times_out) \
  PIPC_TEST(auth, stalled_peer_bounded_by_auth_timeout) \
  PIPC_TEST(auth, peer_stops_mid_handshake)          \
  PIPC_TEST(auth, peer_gone_mid_handshake)           \
  PIPC_TEST(auth, transcript_312_pipc_client)        \
  PIPC_TEST(auth, transcript_312_pipc_listener)      \
  PIPC_TEST(auth, transcript_311_both_roles)         \
  PIPC_TEST(auth, transcript_other_digests)          \
  PIPC_TEST(auth, listener_refuses_bad_answers)      \
  PIPC_TEST(auth, client_refuses_bad_challenges)     \
  PIPC_SUITE(process)                                \
  PIPC_TEST(process, exit_codes)                     \
  PIPC_TEST(process, arguments_arrive_intact)        \
  PIPC_TEST(process, wait_timeout_and_kill)          \
  PIPC_TEST(process, exit_code_when_reaped_elsewhere) \
  PIPC_TEST(process, argument_not_utf8)              \
  PIPC_TEST(process, missing_program_is_enoent)      \
  PIPC_TEST(process, not_a_program_is_eacces)        \
  PIPC_TEST(process, self_exe)                       \
  PIPC_TEST(process, no_handle_inherited)            \
  PIPC_SUITE(spawn)                                  \
  PIPC_TEST(spawn, bad_arguments)                    \
  PIPC_TEST(spawn, arguments_exact)                  \
  PIPC_TEST(spawn, environment)                      \
  PIPC_TEST(spawn, working_directory)                \
  PIPC_TEST(spawn, stdout_stderr_captured)           \
  PIPC_TEST(spawn, ten_mib_both_ways)                \
  PIPC_TEST(spawn, child_closes_stdout_early)        \
  PIPC_TEST(spawn, thread_ends_with_io_under_way)    \
  PIPC_TEST(spawn, write_to_gone_child)              \
  PIPC_TEST(spawn, files_and_null)                   \
  PIPC_TEST(spawn, terminate_handled)                \
  PIPC_TEST(spawn, terminate_ignored_then_kill)      \
  PIPC_TEST(spawn, exit_reasons)                     \
  PIPC_TEST(spawn, group_kill)                       \
  PIPC_TEST(spawn, group_terminate)                  \
  PIPC_TEST(spawn, die_with_host)                    \
  PIPC_TEST(spawn, die_with_host_spawned_by_a_thread) \
  PIPC_TEST(spawn, pass_only_listed)                 \
  PIPC_TEST(spawn, failures)                         \
  PIPC_TEST(spawn, host_with_closed_std)             \
  PIPC_TEST(spawn, path_search)                      \
  PIPC_TEST(spawn, no_leaks)                         \
  PIPC_TEST(spawn, one_socket_dir_whatever_env)      \
  PIPC_SUITE(security)                               \
  PIPC_TEST(security, objects_owner_only)            \
  PIPC_TEST(security, other_user_refused)            \
  PIPC_TEST(security, unsafe_socket_dir_refused)     \
  PIPC_TEST(security, planted_symlink_refused)       \
  PIPC_TEST(security, out_of_descriptors_leaves_nothing) \
  PIPC_TEST(security, full_shm_fs_is_an_error)       \
  PIPC_TEST(security, peer_uid_checked_both_ways)    \
  PIPC_TEST(security, pipe_squatter_refused)         \
  PIPC_TEST(security, group_shared_for_members_only) \
  PIPC_TEST(security, all_users_shared)              \
  PIPC_TEST(security, shared_dir_checked)            \
  PIPC_TEST(security, group_peer_checked_both_ways)  \
  PIPC_SUITE(sharing)                                \
  PIPC_TEST(sharing, bad_attrs_are_einval)           \
  PIPC_TEST(sharing, unknown_group_is_enoent)        \
  PIPC_TEST(sharing, owner_only_is_the_default)      \
  PIPC_TEST(sharing, owner_level_reads_back_and_opens) \
  PIPC_TEST(sharing, group_level_reads_back_and_opens) \
  PIPC_TEST(sharing, all_level_reads_back_and_opens) \
  PIPC_TEST(sharing, sddl_round_trips)               \
  PIPC_TEST(sharing, global_create_and_open)         \
  PIPC_TEST(sharing, global_refused_without_privilege) \
  PIPC_TEST(sharing, peer_identity)                  \
  PIPC_SUITE(stale)                                  \
  PIPC_TEST(stale, names_after_kill)                 \
  PIPC_TEST(stale, listener_race_one_winner)         \
  PIPC_TEST(stale, hostile_writer_only_error_codes)  \
  PIPC_SUITE(torture)                                \
  PIPC_TEST(torture, random_kills)                   \
  PIPC_TEST(torture, stopped_holder_is_not_dead)     \
  PIPC_SUITE(cli)                                    \
  PIPC_TEST(cli, queue_send_recv_info)               \
  PIPC_TEST(cli, rm_and_info_of_every_kind)          \
  PIPC_TEST(cli, pipe_send_and_recv)                 \
  PIPC_TEST(cli, bad_usage_is_exit_2)                \
  PIPC_TEST(cli, ls_lists_every_kind)                \
  PIPC_TEST(cli, ls_tells_live_from_dead_listener)   \
  PIPC_TEST(cli, info_prints_queue_numbers_and_state) \
  PIPC_TEST(cli, path_prints_os_names)               \
  PIPC_TEST(cli, recv_prints_exact_bytes)            \
  PIPC_TEST(cli, unknown_name_is_exit_1_with_the_error) \
  PIPC_TEST(cli, version_and_help_verb)              \
  PIPC_TEST(cli, ls_columns_filter_and_json)         \
  PIPC_TEST(cli, info_json_of_every_kind)            \
  PIPC_TEST(cli, info_lock_states)                   \
  PIPC_TEST(cli, info_of_a_dead_listener)            \
  PIPC_TEST(cli, create_every_kind)                  \
  PIPC_TEST(cli, send_from_stdin)                    \
  PIPC_TEST(cli, wrong_kind_says_so)                 \
  PIPC_TEST(cli, bench_not_found_says_how)           \
  PIPC_TEST(cli, serve_and_remote_names)            \
  PIPC_TEST(cli, serve_listener)                    \
  PIPC_TEST(cli, recv_adopt_takes_an_orphan)         \
  PIPC_SUITE(objects)                                \
  PIPC_TEST(objects, kind_of_every_kind)             \
  PIPC_TEST(objects, kind_names)                     \
  PIPC_TEST(objects, list_finds_every_kind)          \
  PIPC_TEST(objects, list_killed_listener)           \
  PIPC_TEST(objects, list_callback_stops)            \
  PIPC_TEST(objects, paths)                          \
  PIPC_SUITE(misuse)                                 \
  PIPC_TEST(misuse, null_handles_are_einval)         \
  PIPC_TEST(misuse, null_out_pointers_are_einval)    \
  PIPC_TEST(misuse, bad_timeouts_are_einval)      \
  PIPC_SUITE(wait)                                \
  PIPC_TEST(wait, bad_arguments)                  \
  PIPC_TEST(wait, queue_in_and_out)               \
  PIPC_TEST(wait, sem_and_lock)                   \
  PIPC_TEST(wait, lock_holder_killed)             \
  PIPC_TEST(wait, pipe_listener_process)          \
  PIPC_TEST(wait, woken_by_other_process)         \
  PIPC_TEST(wait, many_waiters)                   \
  PIPC_TEST(wait, poisoned_queue_hides_nothing)   \
  PIPC_TEST(wait, unlinked_while_waiting)         \
  PIPC_TEST(wait, 64_objects)                     \
  PIPC_TEST(wait, subscribe_cycles_leak_nothing)  \
  PIPC_TEST(wait, subscriber_table_full)          \
  PIPC_TEST(wait, watch_handles_fire)             \
  PIPC_TEST(wait, subscriber_costs_one_call)      \
  PIPC_TEST(wait, subscribers_killed)             \
  PIPC_TEST(wait, waker_killed_before_signal)     \
  PIPC_TEST(wait, many_unread_signals_never_silence) \
  PIPC_TEST(wait, idle_items_do_not_wake)         \
  PIPC_TEST(wait, fork_child_copy_of_a_watch) \
  PIPC_TEST(wait, pipe_out_when_nothing_kept)     \
  PIPC_SUITE(serve_state)                         \
  PIPC_TEST(serve_state, kept_across_restarts)    \
  PIPC_TEST(serve_state, one_server_per_file)     \
  PIPC_TEST(serve_state, refuses_other_files)     \
  PIPC_TEST(serve_state, damaged_words_refused)   \
  PIPC_TEST(serve_state, killed_at_every_point)   \
  PIPC_TEST(serve_state, open_killed_while_settling) \
  PIPC_TEST(serve_state, no_entry_left_pinned)    \
  PIPC_TEST(serve_state, two_files_one_queue)     \
  PIPC_SUITE(remote)                              \
  PIPC_TEST(remote, names_and_support)            \
  PIPC_TEST(remote, serve_bad_arguments)          \
  PIPC_TEST(remote, put_get_both_ways)            \
  PIPC_TEST(remote, timeouts_as_local)            \
  PIPC_TEST(remote, shutdown_drains)              \
  PIPC_TEST(remote, not_served_is_enoent)         \
  PIPC_TEST(remote, exactly_once_when_replies_are_lost) \
  PIPC_TEST(remote, server_restarts)              \
  PIPC_TEST(remote, ipc_owner_only)               \
  PIPC_TEST(remote, many_producers)               \
  PIPC_TEST(remote, lanes_busy_and_stop_answers)  \
  PIPC_TEST(remote, waits_in_slices)              \
  PIPC_TEST(remote, forgotten_handle_goes_on)     \
  PIPC_TEST(remote, wedged_socket_replaced)       \
  PIPC_TEST(remote, tls_both_sides_checked)       \
  PIPC_TEST(remote, tls_settings)                 \
  PIPC_TEST(remote, threads_across_serve_kills)   \
  PIPC_TEST(remote, state_file_no_put_in_doubt)   \
  PIPC_TEST(remote, bridge_forwards_in_order)     \
  PIPC_TEST(remote, bridge_killed_at_random)      \
  PIPC_TEST(remote, bridge_forgotten_or_far_shut) \
  PIPC_TEST(remote, at_least_once_get)            \
  PIPC_TEST(remote, at_least_once_client_killed)  \
  PIPC_TEST(remote, at_least_once_waiting_client_killed) \
  PIPC_TEST(remote, pipe_as_local)                \
  PIPC_TEST(remote, pipe_replies_lost)            \
  PIPC_TEST(remote, pipe_client_killed)           \
  PIPC_SUITE(netns)                               \
  PIPC_TEST(netns, producer_a_consumers_b_exactly_once) \
  PIPC_TEST(netns, link_down_2s_loses_nothing)    \
  PIPC_TEST(netns, link_down_2s_at_least_once)   \
  PIPC_TEST(netns, serve_killed_and_restarted)    \
  PIPC_TEST(netns, serve_killed_at_least_once)    \
  PIPC_TEST(netns, wrong_or_no_certificate_refused) \
  PIPC_TEST(netns, bridge_killed_50_times)

/* Helper-process roles: PIPC_ROLE(name) is int role_<name>(argc, argv). */
#define PIPC_ROLE_LIST(PIPC_ROLE) \
  PIPC_ROLE(exit)                 \
  PIPC_ROLE(exit_later)           \
  PIPC_ROLE(sleep)                \
  PIPC_ROLE(args)                 \
  PIPC_ROLE(handles)              \
  PIPC_ROLE(shm_write)            \
  PIPC_ROLE(shm_file_write)       \
  PIPC_ROLE(sem_wait)             \
  PIPC_ROLE(sem_post_later)       \
  PIPC_ROLE(sem_task)             \
  PIPC_ROLE(lock_count)           \
  PIPC_ROLE(lock_hold)            \
  PIPC_ROLE(lock_wait)            \
  PIPC_ROLE(reg_hold)             \
  PIPC_ROLE(queue_putter)         \
  PIPC_ROLE(mpmc_producer)        \
  PIPC_ROLE(mpmc_consumer)        \
  PIPC_ROLE(kill_producer)        \
  PIPC_ROLE(kill_consumer)        \
  PIPC_ROLE(queue_hold)           \
  PIPC_ROLE(sem_undo_take)        \
  PIPC_ROLE(queue_os_damage)      \
  PIPC_ROLE(queue_one)            \
  PIPC_ROLE(queue_zc_hold)        \
  PIPC_ROLE(queue_repair_die)     \
  PIPC_ROLE(queue_reserve_wait)   \
  PIPC_ROLE(queue_durable)        \
  PIPC_ROLE(queue_tagged)         \
  PIPC_ROLE(queue_repair_at)      \
  PIPC_ROLE(kill_durable_consumer) \
  PIPC_ROLE(pipe_echo)            \
  PIPC_ROLE(pipe_hold)            \
  PIPC_ROLE(pipe_bulk)            \
  PIPC_ROLE(pipe_serve_later)     \
  PIPC_ROLE(pipe_client)          \
  PIPC_ROLE(pipe_reader)          \
  PIPC_ROLE(pipe_big_then_die)    \
  PIPC_ROLE(auth_peer)            \
  PIPC_ROLE(auth_client)          \
  PIPC_ROLE(torture_worker)       \
  PIPC_ROLE(make_all)             \
  PIPC_ROLE(listen_race)          \
  PIPC_ROLE(listen_die)           \
  PIPC_ROLE(wait_subscriber)      \
  PIPC_ROLE(remote_put)           \
  PIPC_ROLE(remote_mt)            \
  PIPC_ROLE(remote_alo_get)       \
  PIPC_ROLE(remote_alo_wait)      \
  PIPC_ROLE(remote_pipe_die)      \
  PIPC_ROLE(netns_produce)        \
  PIPC_ROLE(netns_consume)        \
  PIPC_ROLE(netns_open)           \
  PIPC_ROLE(sstate_put)           \
  PIPC_ROLE(sstate_open_die)      \
  PIPC_ROLE(serve_state)          \
  PIPC_ROLE(bridge)               \
  PIPC_ROLE(wait_put_die)         \
  PIPC_ROLE(env)                  \
  PIPC_ROLE(cwd)                  \
  PIPC_ROLE(talk)                 \
  PIPC_ROLE(cat)                  \
  PIPC_ROLE(close_out)            \
  PIPC_ROLE(term)                 \
  PIPC_ROLE(abort)                \
  PIPC_ROLE(host)                 \
  PIPC_ROLE(tree)                 \
  PIPC_ROLE(pass)                 \
  PIPC_ROLE(share_use)            \
  PIPC_ROLE(share_noglobal)       \
  PIPC_ROLE(peer_client)          \
  PIPC_POSIX_ROLES(PIPC_ROLE)

/* Roles only POSIX cases spawn (another uid, descriptor limits). */
#ifdef _WIN32
#define PIPC_POSIX_ROLES(PIPC_ROLE)
#else
#define PIPC_POSIX_ROLES(PIPC_ROLE) \
  PIPC_ROLE(as_nobody)              \
  PIPC_ROLE(few_fds)                \
  PIPC_ROLE(intruder)               \
  PIPC_ROLE(as_user)                \
  PIPC_LINUX_ROLES(PIPC_ROLE)
#endif
#ifdef __linux__
#define PIPC_LINUX_ROLES(PIPC_ROLE) PIPC_ROLE(full_shm)
#else
#define PIPC_LINUX_ROLES(PIPC_ROLE)
#endif
